/**
 * The GPU path on webgpu, without a GPU: Mesa's lavapipe (a Vulkan driver on the CPU, installed
 * by scripts/setup.sh) runs onnxruntime's webgpu provider, slowly, on the tiny bundle. Checked:
 * - the KV cache stays on the device while a sequence joins and another leaves mid-batch, and
 *   the ids equal the cpu provider's, the hidden states within 1e-4;
 * - the embedded server and the distributed services answer on webgpu, as the cpu engine does.
 * Every check first makes sure nothing fell back to cpu.
 */
import os from "node:os";
import { PixelLMClient } from "@pixellm/client";
import { loadBundle } from "@pixellm/bundle";
import {
  DeviceKvStore,
  HostKvStore,
  LlmRunner,
  PixelLMEngine,
  type SessionOptions,
  argmax,
  modelDims,
  openSessions,
} from "@pixellm/engine";
import { stageInfo } from "@pixellm/launcher";
import { NormalStream, float32Tensor, makeTensor } from "@pixellm/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestDeployment } from "../support/deployment";
import { startEmbeddedServer } from "../support/embedded-server";
import { shapesImage } from "../support/images";
import { maxAbsDiff } from "../support/reference-model";
import { type TinyBundle, makeTinyBundle } from "../support/tiny-bundle";

/** Dawn needs a runtime directory; CI machines may not have one. */
const GPU_ENV = {
  PIXELLM_EXECUTION_PROVIDER: "webgpu",
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? os.tmpdir(),
};
process.env.XDG_RUNTIME_DIR = GPU_ENV.XDG_RUNTIME_DIR;

const HIDDEN_TOLERANCE = 1e-4;
/** lavapipe compiles every shader on the CPU: minutes, not seconds. */
const SLOW = 300_000;

let tiny: TinyBundle;
let engine: PixelLMEngine;

beforeAll(async () => {
  tiny = await makeTinyBundle({ seed: 4 });
  engine = await PixelLMEngine.load(tiny.bundleDir);
}, SLOW);

afterAll(async () => {
  await engine?.close();
});

/** A runner on `provider`, failing the test if its sessions fell back to cpu. */
async function runner(provider: "cpu" | "webgpu") {
  const bundle = await loadBundle(tiny.bundleDir, "size");
  const dims = modelDims(bundle.manifest);
  const fallbacks: string[] = [];
  const options: SessionOptions = { provider, onFallback: (e) => fallbacks.push(`${e.graph}: ${e.reason}`) };
  const { embed, llm } = await openSessions(bundle, ["embed", "llm"], options);
  const store =
    provider === "cpu" ? new HostKvStore(dims.kv, 4096) : await DeviceKvStore.open(dims.kv, options);
  expect(fallbacks).toEqual([]);
  expect(llm.provider).toBe(provider);
  return {
    runner: new LlmRunner(embed, llm, dims, store, 4096),
    store,
    release: () => Promise.all([embed.release(), llm.release(), store.release()]),
  };
}

describe("webgpu on lavapipe", () => {
  it(
    "keeps the KV cache on the device while a sequence joins and another leaves: ids as on cpu, hidden states within 1e-4",
    async () => {
      const cpu = await runner("cpu");
      const gpu = await runner("webgpu");
      const dims = cpu.runner.dims;
      const image = (seed: number) => {
        const embeds = float32Tensor([dims.imageTokens, dims.hidden]);
        new NormalStream(seed).fill(embeds.data);
        return embeds;
      };
      const mask = makeTensor(
        "uint8",
        [dims.imageTokens],
        Uint8Array.from({ length: dims.imageTokens }, (_, i) => (i < 200 ? 1 : 0)),
      );
      const prompt = (id: number, length: number) => ({
        id,
        ids: [1, dims.imageTokenIndex, ...Array.from({ length }, (_, i) => 10 + ((id * 7 + i) % 50))],
        imageEmbeds: image(id),
        imageMask: mask,
      });
      // Tokens fed to both: the cpu run's choices, so both runs see the same inputs.
      const last = new Map<number, number>();
      const compare = (
        step: string,
        a: { logits: Float32Array; hidden: Float32Array },
        b: typeof a,
        rows: number,
      ) => {
        const V = dims.vocab;
        const ids = (x: typeof a) =>
          Array.from({ length: rows }, (_, r) => argmax(x.logits.subarray(r * V, (r + 1) * V)));
        expect(ids(b), step).toEqual(ids(a));
        expect(maxAbsDiff(b.hidden, a.hidden), step).toBeLessThanOrEqual(HIDDEN_TOLERANCE);
        return ids(a);
      };
      const prefill = async (id: number, length: number) => {
        const rows = [prompt(id, length)];
        const [a, b] = [await cpu.runner.prefill(rows), await gpu.runner.prefill(rows)];
        last.set(id, compare(`prefill ${id}`, a, b, 1)[0]!);
        await Promise.all([cpu.runner.join([id]), gpu.runner.join([id])]);
      };
      const step = async (label: string) => {
        const [a, b] = [await cpu.runner.step(last), await gpu.runner.step(last)];
        expect(b.rowIds).toEqual(a.rowIds);
        compare(label, a, b, a.rowIds.length).forEach((token, r) => last.set(a.rowIds[r]!, token));
      };
      await prefill(1, 6);
      for (let i = 0; i < 3; i++) await step(`A alone, step ${i}`);
      await prefill(2, 12); // B joins mid-batch, longer than A
      for (let i = 0; i < 3; i++) await step(`A and B, step ${i}`);
      await Promise.all([cpu.runner.remove(new Set([1])), gpu.runner.remove(new Set([1]))]); // A leaves
      last.delete(1);
      for (let i = 0; i < 3; i++) await step(`B alone, step ${i}`);
      // The device cache never became a host tensor.
      for (const tensor of gpu.store.past()) expect("kind" in tensor && tensor.kind).toBe("device");
      await Promise.all([cpu.release(), gpu.release()]);
    },
    SLOW,
  );

  it(
    "the embedded server answers on webgpu as the cpu engine does",
    async () => {
      const server = await startEmbeddedServer(
        tiny.bundleDir,
        { ...GPU_ENV, PIXELLM_LOG_LEVEL: "info" },
        SLOW,
      );
      const client = new PixelLMClient(server.address);
      try {
        const request = { image: await shapesImage(320, 240), query: "Please segment the red ball." };
        const [local, served] = [
          await engine.segment(request),
          await client.segment(request, { timeoutMs: SLOW }),
        ];
        expect(server.output()).not.toContain("execution provider unavailable");
        expect(served.outputIds).toEqual(local.outputIds);
        expect(served.targets.length).toBeGreaterThan(0);
        expect(served.targets.map((t) => t.mask?.counts)).toEqual(local.targets.map((t) => t.mask.counts));
      } finally {
        client.close();
        await server.stop();
      }
    },
    SLOW,
  );

  it(
    "the distributed services answer on webgpu as the cpu engine does",
    async () => {
      const env = await startTestDeployment({
        replicas: 1,
        gateways: 1,
        env: GPU_ENV,
        bundle: tiny,
        readyTimeoutMs: SLOW,
      });
      const client = new PixelLMClient(env.deployment.gatewayAddresses[0]!);
      try {
        for (const process of env.deployment.processes.filter((p) => p.role !== "gateway"))
          expect((await stageInfo(process)).executionProvider, process.role).toBe("webgpu");
        const request = { image: await shapesImage(300, 200, "png", 3), query: "Where is the blue box?" };
        const [local, served] = [
          await engine.segment(request),
          await client.segment(request, { timeoutMs: SLOW }),
        ];
        expect(served.outputIds).toEqual(local.outputIds);
        expect(served.targets.map((t) => t.mask?.counts)).toEqual(local.targets.map((t) => t.mask.counts));
      } finally {
        client.close();
        await env.deployment.stop();
      }
    },
    SLOW,
  );
});
