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
import { KvBatch } from "../generation/kv-batch";
import { LlmRunner, modelDims } from "../generation/llm-runner";
import { openSessions } from "../runtime/bundle-sessions";
import type { ModelSession } from "../runtime/model-session";

export interface TraceInput {
  /** Encoded image, as given to the engine. */
  readonly image: Uint8Array;
  /** The engine's prompt ids (with the -200 placeholder) and answer ids. */
  readonly promptIds: readonly number[];
  readonly outputIds: readonly number[];
  /** The engine's codebook hidden states, float32[n·H], and n. */
  readonly codebookHidden: Float32Array;
  readonly codebookCount: number;
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
      pixel_values: float32Tensor([1, 3, size, size], prepared.pixelValues),
      resized_hw: int64Tensor([1, 2], [...prepared.resized]),
    });
    collect(manifest.graphs.vision, vision, [DUMP_OUTPUTS.imageFeatures, DUMP_OUTPUTS.preImageFeatures]);

    Object.assign(
      tensors,
      await replayLanguageModel(sessions.embed, sessions.llm, manifest, input, {
        imageEmbeds: (vision.image_embeds as HostTensor<"float32">).data,
        imageMask: Array.from((vision.image_mask as HostTensor<"int64">).data, Number),
      }),
    );

    const perTarget = manifest.geometry.codebookSize;
    const targets = input.codebookCount % perTarget === 0 ? input.codebookCount / perTarget : 0;
    if (targets > 0) {
      const H = manifest.config.hidden_size;
      const features = vision.decoder_features as HostTensor<"float32">;
      // in: seg_hidden [N,C,H], decoder_features [1,2,D,32,32], target_image [N]
      const decoder = await sessions.decoder.run({
        seg_hidden: float32Tensor([targets, perTarget, H], input.codebookHidden),
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
  image: { imageEmbeds: Float32Array; imageMask: number[] },
): Promise<Record<string, HostTensor>> {
  const dims = modelDims(manifest);
  const runner = new LlmRunner(embed, llm, dims);
  const kv = new KvBatch(dims.kv);
  const prompt = await runner.spliceImage(input.promptIds, image.imageEmbeds, image.imageMask);
  const first = await runner.prefill([prompt], kv.emptyTensors(1));
  await kv.join([{ id: 0, keyMask: [...prompt.keyMask] }], first.present, [0]);
  const logits = [first.logits];
  const hidden = [first.hidden];
  const fed = input.outputIds.slice(0, -1);
  for (const token of fed) {
    const step = await runner.step(kv, [token]);
    kv.advance(step.present);
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
  const answerEmbeds = fed.length > 0 ? await runner.embedIds(fed) : new Float32Array(0);
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
