/**
 * The intermediate tensors behind one answer, for `pixellm segment --dump`: what the official
 * code calls image_features and pre_image_features (the CLIP taps), the LLM's inputs_embeds,
 * attention mask, final-norm hidden states and per-step logits, and the pixel decoder's
 * pred_embeddings (text_hidden_fcs), fused prompts and per-level masks.
 *
 * A dump-only path beside the engine, run after it: it opens its own sessions with the graphs'
 * dump outputs (bundle DUMP_OUTPUTS) and replays the engine's answer at batch 1 through the same
 * graph calls the engine makes — vision, a prefill of the prompt, then one cached step per
 * answer token — so the logits of step k are those greedy decoding picked answer token k from.
 * The hidden states cover the sequence as the official no-cache loop sees it at its last step
 * (the prompt with the image spliced in, then every answer token but the last).
 */
import { type BundleManifest, DUMP_OUTPUTS, type GraphEntry, loadBundle } from "@pixellm/bundle";
import { type HostTensor, float32Tensor, int64Tensor, makeTensor } from "@pixellm/tensor";
import { prepareImage } from "@pixellm/pipeline";
import { HostKvStore } from "../generation/kv/host-kv-store";
import { LlmRunner } from "../generation/llm-runner";
import { modelDims } from "../generation/sequence-model";
import { openSessions } from "../runtime/bundle-sessions";
import type { ModelSession } from "../runtime/model-session";

export interface TraceInput {
  /** Encoded image, as given to the engine. */
  readonly image: Uint8Array;
  /** The engine's prompt ids (with the -200 placeholder) and answer ids. */
  readonly promptIds: readonly number[];
  readonly outputIds: readonly number[];
  /** The engine's codebook hidden states, float32[n,H]. */
  readonly codebookHidden: HostTensor<"float32">;
}

export interface Trace {
  /** Named like the official code's tensors (see the dump's index for each one's expression). */
  readonly tensors: Readonly<Record<string, HostTensor>>;
  /** Dump outputs this bundle's graphs lack (exported before they existed). */
  readonly unavailable: readonly string[];
}

export async function traceSegment(bundleDir: string, input: TraceInput): Promise<Trace> {
  const bundle = await loadBundle(bundleDir, "size");
  const { manifest } = bundle;
  const { geometry } = manifest;
  const sessions = await openSessions(bundle, ["vision", "embed", "llm", "decoder"], {
    provider: "cpu",
    dumpOutputs: true,
  });
  try {
    const tensors: Record<string, HostTensor> = {};
    const unavailable: string[] = [];
    /** The dump outputs of a run, named as the graph names them; absent ones are noted. */
    const collect = (entry: GraphEntry, out: Record<string, unknown>, names: readonly string[]) => {
      for (const name of names) {
        if (entry.outputs.some((o) => o.name === name)) tensors[name] = out[name] as HostTensor;
        else unavailable.push(name);
      }
    };

    const prepared = await prepareImage(input.image);
    const size = manifest.preprocessing.imageSize;
    // in: pixel_values [1,3,S,S], resized_hw [1,2]
    const vision = await sessions.vision.run({
      pixel_values: float32Tensor([1, 3, size, size], prepared.pixelValues.data),
      resized_hw: int64Tensor([1, 2], [...prepared.resized]),
    });
    collect(manifest.graphs.vision, vision, [DUMP_OUTPUTS.imageFeatures, DUMP_OUTPUTS.preImageFeatures]);

    Object.assign(
      tensors,
      await replayLanguageModel(sessions.embed, sessions.llm, manifest, input, {
        imageEmbeds: makeTensor(
          "float32",
          [geometry.llmImageTokens, manifest.config.hidden_size],
          (vision.image_embeds as HostTensor<"float32">).data,
        ),
        imageMask: makeTensor(
          "uint8",
          [geometry.llmImageTokens],
          Uint8Array.from((vision.image_mask as HostTensor<"int64">).data, Number),
        ),
      }),
    );

    const perTarget = geometry.codebookSize;
    const count = input.codebookHidden.shape[0]!;
    const targets = count % perTarget === 0 ? count / perTarget : 0;
    if (targets > 0) {
      const H = manifest.config.hidden_size;
      const features = vision.decoder_features as HostTensor<"float32">;
      // in: seg_hidden [N,C,H], decoder_features [1,2,D,32,32], target_image [N]
      const decoder = await sessions.decoder.run({
        seg_hidden: float32Tensor([targets, perTarget, H], input.codebookHidden.data),
        decoder_features: features,
        target_image: int64Tensor([targets], new Array<number>(targets).fill(0)),
      });
      collect(manifest.graphs.decoder, decoder, [
        DUMP_OUTPUTS.predEmbeddings,
        DUMP_OUTPUTS.sparseEmbeddings,
        ...DUMP_OUTPUTS.levelMasks,
      ]);
    }
    return { tensors, unavailable };
  } finally {
    await Promise.all(Object.values<ModelSession>(sessions).map((s) => s.release()));
  }
}

/**
 * The engine's LLM calls at batch 1, teacher-forced with its answer. out: inputs_embeds [1,T,H],
 * attention_mask [1,T], output_hidden_states [1,T,H], logits [steps,V]
 */
async function replayLanguageModel(
  embed: ModelSession,
  llm: ModelSession,
  manifest: BundleManifest,
  input: TraceInput,
  image: { imageEmbeds: HostTensor<"float32">; imageMask: HostTensor<"uint8"> },
): Promise<Record<string, HostTensor>> {
  const dims = modelDims(manifest);
  const capacity = dims.maxPositions;
  const runner = new LlmRunner(embed, llm, dims, new HostKvStore(dims.kv, capacity), capacity);
  const promptRow = { id: 0, ids: input.promptIds, ...image };
  const prompt = await runner.embedded(promptRow);
  const first = await runner.prefill([promptRow]);
  await runner.join([0]);
  const logits = [first.logits];
  const hidden = [first.hidden];
  const fed = input.outputIds.slice(0, -1);
  for (const token of fed) {
    const step = await runner.step(new Map([[0, token]]));
    logits.push(step.logits);
    hidden.push(step.hidden);
  }
  const length = prompt.keyMask.length + fed.length;
  const concat = (parts: readonly Float32Array[]) => {
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  };
  // out: inputs_embeds float32[1,n,H]
  const answerEmbeds =
    fed.length > 0
      ? (
          (await embed.run({ input_ids: int64Tensor([1, fed.length], fed) }))
            .inputs_embeds as HostTensor<"float32">
        ).data
      : new Float32Array(0);
  const mask = [...prompt.keyMask, ...new Array<number>(fed.length).fill(1)];
  return {
    inputs_embeds: float32Tensor([1, length, dims.hidden], concat([prompt.embeds, answerEmbeds])),
    attention_mask: makeTensor(
      "int64",
      [1, length],
      BigInt64Array.from(mask, (m) => BigInt(m)),
    ),
    output_hidden_states: float32Tensor([1, length, dims.hidden], concat(hidden)),
    logits: float32Tensor([logits.length, dims.vocab], concat(logits)),
  };
}
