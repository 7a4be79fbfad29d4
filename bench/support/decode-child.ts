/**
 * Pure-decode measurements in a process of their own (printed as one JSON line):
 *
 *   copy                 memory bandwidth: the best of five copies of a 256 MiB array,
 *                        counting the bytes read and written
 *   steps BUNDLE B…      decode steps of B rows holding 300 cached positions each, for each B, on
 *                        the engine's runner (llm graph + host KV cache updated in place): step
 *                        time and the bytes a step reads (weights + the rows' cache). The batch
 *                        sizes take turns, a few steps each, so a burst of load elsewhere on a
 *                        shared machine falls on all of them rather than on one.
 *   memory BUNDLE STEPS  STEPS decode steps of 8 rows through the scheduler and the LLM worker,
 *                        sequences replaced as they finish: resident memory along the way
 */
import { loadBundle } from "@pixellm/bundle";
import {
  HostKvStore,
  LlmRunner,
  LlmScheduler,
  LlmWorker,
  argmax,
  modelDims,
  openSessions,
} from "@pixellm/engine";
import { NormalStream, float32Tensor, makeTensor } from "@pixellm/tensor";

const [mode, bundleDir, arg] = process.argv.slice(2);
/** Cached positions per row when the measured steps start. */
const CACHED = 300;
/** Warm-up, then turns of measured steps: 300–317 positions stay within one cache width (320). */
const WARM_UP = 2;
const TURNS = 5;
const STEPS_PER_TURN = 3;

function copyBandwidth(): Record<string, number> {
  const source = new Float32Array(64 * 2 ** 20).fill(1);
  const target = new Float32Array(source.length);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    target.set(source);
    best = Math.min(best, performance.now() - started);
  }
  return { bytesPerSecond: (2 * source.byteLength) / (best / 1000) };
}

async function inputs() {
  const bundle = await loadBundle(bundleDir!, "size");
  const dims = modelDims(bundle.manifest);
  const imageEmbeds = float32Tensor([dims.imageTokens, dims.hidden]);
  new NormalStream(1).fill(imageEmbeds.data);
  const imageMask = makeTensor("uint8", [dims.imageTokens], new Uint8Array(dims.imageTokens).fill(1));
  // A prompt whose image-spliced length is CACHED − 1: the first generated token makes it CACHED.
  const textIds = CACHED - 1 - dims.imageTokens;
  const ids = [
    bundle.manifest.tokens.bos,
    dims.imageTokenIndex,
    ...Array.from({ length: textIds - 1 }, (_, i) => 10 + (i % 50)),
  ];
  return { bundle, dims, prompt: { ids, imageEmbeds, imageMask } };
}

async function decodeSteps(batches: readonly number[]): Promise<Record<number, Record<string, number>>> {
  const { bundle, dims, prompt } = await inputs();
  const { embed, llm } = await openSessions(bundle, ["embed", "llm"], { provider: "cpu" });
  const V = dims.vocab;
  const runners = await Promise.all(
    batches.map(async (batch) => {
      const capacity = batch * 2 * CACHED;
      const runner = new LlmRunner(embed, llm, dims, new HostKvStore(dims.kv, capacity), capacity);
      const rows = Array.from({ length: batch }, (_, id) => ({ id, ...prompt }));
      const prefill = await runner.prefill(rows);
      await runner.join(rows.map((r) => r.id));
      let tokens = new Map(rows.map((r, i) => [r.id, argmax(prefill.logits.subarray(i * V, (i + 1) * V))]));
      const times: number[] = [];
      const step = async () => {
        const started = performance.now();
        const out = await runner.step(tokens);
        times.push(performance.now() - started);
        tokens = new Map(out.rowIds.map((id, i) => [id, argmax(out.logits.subarray(i * V, (i + 1) * V))]));
      };
      return { batch, runner, times, step };
    }),
  );
  for (const r of runners) {
    for (let i = 0; i < WARM_UP; i++) await r.step();
    r.times.length = 0;
  }
  for (let turn = 0; turn < TURNS; turn++)
    for (const r of runners) for (let i = 0; i < STEPS_PER_TURN; i++) await r.step();
  const { kvHeads, headDim, layers } = dims.kv;
  const weightBytes = 4 * bundle.manifest.graphs.llm.parameters;
  return Object.fromEntries(
    runners.map(({ batch, runner, times }) => {
      times.sort((a, b) => a - b);
      const width = runner.kvTokens() / batch;
      const kvBytes = 4 * batch * width * kvHeads * headDim * 2 * layers;
      return [batch, { stepMs: times[Math.floor(times.length / 2)]!, width, weightBytes, kvBytes }];
    }),
  );
}

async function memory(steps: number): Promise<Record<string, number | number[]>> {
  const { dims, bundle, prompt } = await inputs();
  const worker = await LlmWorker.start(dims, {
    bundleDir: bundleDir!,
    verify: "size",
    provider: "cpu",
    kvCapacityTokens: 16 * 1024,
  });
  const rss: number[] = [];
  let done = 0;
  const scheduler = new LlmScheduler(
    worker,
    { eos: bundle.manifest.tokens.eos, seg: bundle.manifest.tokens.seg },
    { maxBatchSize: 8, kvBudgetTokens: 16 * 1024, maxPrefillRows: 8 },
    (run) => {
      if (run.phase !== "decode") return;
      done++;
      if (done % 100 === 0) rss.push(process.memoryUsage().rss);
    },
  );
  const request = {
    promptIds: prompt.ids,
    imageEmbeds: prompt.imageEmbeds,
    imageMask: prompt.imageMask,
    maxNewTokens: 100,
    ignoreEos: true,
  };
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (done < steps) await scheduler.submit(request);
    }),
  );
  await worker.close();
  return { rss, steps: done };
}

const result =
  mode === "copy"
    ? copyBandwidth()
    : mode === "steps"
      ? await decodeSteps(process.argv.slice(4).map(Number))
      : await memory(Number(arg));
console.log(JSON.stringify(result));
process.exit(0);
