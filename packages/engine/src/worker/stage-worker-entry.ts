/**
 * A stage worker thread: opens the onnxruntime sessions of its stages (vision, decoder, and/or
 * embed + llm with the KV cache) and serves their calls ("vision.encode", "llm.step", …), so graph
 * runs never block the owner's event loop. Started by stage-worker.ts with a StageWorkerSpec as
 * workerData.
 */
import { workerData } from "node:worker_threads";
import { type LoadedBundle, loadBundle } from "@pixellm/bundle";
import { DeviceKvStore } from "../generation/kv/device-kv-store";
import { HostKvStore } from "../generation/kv/host-kv-store";
import type { KvStore } from "../generation/kv/kv-store";
import { LlmRunner } from "../generation/llm-runner";
import { modelDims } from "../generation/sequence-model";
import { openSessions } from "../runtime/bundle-sessions";
import type { ExecutionProvider, ModelSession, SessionOptions } from "../runtime/model-session";
import { DecoderStage } from "../stages/decoder-stage";
import { VisionStage } from "../stages/vision-stage";
import { serveWorker } from "@pixellm/workers";
import {
  type ProviderFallback,
  RELEASE_METHOD,
  type StageWorkerSpec,
  type WorkerReady,
  type WorkerStage,
  stageMethod,
} from "./stage-worker-spec";

interface OpenedStage {
  readonly methods: Readonly<Record<string, (...args: never[]) => Promise<unknown>>>;
  readonly provider: ExecutionProvider;
  readonly release: () => Promise<void>;
}

const spec = workerData as StageWorkerSpec;
const fallbacks: ProviderFallback[] = [];

async function openStage(
  stage: WorkerStage,
  bundle: LoadedBundle,
  options: SessionOptions,
): Promise<OpenedStage> {
  const { manifest } = bundle;
  const releasing = (sessions: readonly ModelSession[], store?: KvStore) => async () => {
    await store?.release();
    await Promise.all(sessions.map((s) => s.release()));
  };
  if (stage === "vision") {
    const { vision } = await openSessions(bundle, ["vision"], options);
    const encoder = new VisionStage(vision, manifest);
    return {
      methods: { encode: (batch) => encoder.encode(batch) },
      provider: vision.provider,
      release: releasing([vision]),
    };
  }
  if (stage === "decoder") {
    const { decoder } = await openSessions(bundle, ["decoder"], options);
    const decoding = new DecoderStage(decoder, manifest);
    return {
      methods: { decode: (batch) => decoding.decode(batch) },
      provider: decoder.provider,
      release: releasing([decoder]),
    };
  }
  const { embed, llm } = await openSessions(bundle, ["embed", "llm"], options);
  const dims = modelDims(manifest);
  const capacity = spec.kvCapacityTokens ?? 0;
  const store =
    llm.provider === "cpu"
      ? new HostKvStore(dims.kv, capacity)
      : await DeviceKvStore.open(dims.kv, { ...options, provider: llm.provider });
  const runner = new LlmRunner(embed, llm, dims, store, capacity);
  // Calls that change the batch answer with the KV positions held after them (the owner reports them).
  return {
    methods: {
      prefill: (rows) => runner.prefill(rows),
      join: async (ids) => {
        await runner.join(ids);
        return runner.kvTokens();
      },
      step: async (tokens) => ({ output: await runner.step(tokens), kvTokens: runner.kvTokens() }),
      remove: async (ids) => {
        await runner.remove(ids);
        return runner.kvTokens();
      },
    },
    provider: llm.provider,
    release: releasing([embed, llm], store),
  };
}

async function open(): Promise<{ target: object; info: WorkerReady }> {
  const bundle = await loadBundle(spec.bundleDir, spec.verify);
  const options: SessionOptions = {
    provider: spec.provider,
    ...(spec.intraOpThreads ? { intraOpThreads: spec.intraOpThreads } : {}),
    ...(spec.spinning ? { spinning: true } : {}),
    onFallback: (event) => fallbacks.push(event),
  };
  const opened: [WorkerStage, OpenedStage][] = [];
  for (const stage of spec.stages) opened.push([stage, await openStage(stage, bundle, options)]);
  const target: Record<string, unknown> = {
    [RELEASE_METHOD]: () => Promise.all(opened.map(([, s]) => s.release())),
  };
  for (const [stage, { methods }] of opened)
    for (const [name, method] of Object.entries(methods)) target[stageMethod(stage, name)] = method;
  const providers = Object.fromEntries(opened.map(([stage, s]) => [stage, s.provider]));
  return { target, info: { providers, fallbacks } };
}

serveWorker(open);
