import { mkdtemp, readFile, stat } from "node:fs/promises";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { GraphBuilder, floatSource, writeModel } from "../src";

/** y = x @ W + b over a [B,3] input, W [3,2]; big enough to exercise both storage modes. */
function affineGraph() {
  const g = new GraphBuilder("affine", "float32");
  const x = g.input("x", "float32", ["batch", 3]);
  const w = g.weight("w", floatSource("float32", [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6])));
  const b = g.weight("b", floatSource("float32", [2], Float32Array.from([0.5, -0.5])));
  // 1 KiB filler initializer, so external data has something above its size floor.
  const big = g.weight("filler", floatSource("float32", [256], new Float32Array(256).fill(0)));
  const shifted = g.op("Add", [g.op("MatMul", [x, w]), b]);
  const filler = g.op("ReduceSum", [big], { keepdims: 0 });
  g.output(g.op("Add", [shifted, filler]), "y", "float32", ["batch", 2]);
  return g.build();
}

async function run(modelPath: string) {
  const session = await ort.InferenceSession.create(modelPath);
  const x = new ort.Tensor("float32", Float32Array.from([1, 0, 0, 0, 1, 1]), [2, 3]);
  const { y } = await session.run({ x });
  await session.release();
  return [...(y!.data as Float32Array)];
}

describe("writeModel", () => {
  it.each(["never", "always"] as const)(
    "writes a model onnxruntime runs (external data: %s)",
    async (mode) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "onnx-writer-"));
      const modelPath = path.join(dir, "affine.onnx");
      const written = await writeModel(affineGraph(), modelPath, { externalData: mode });
      expect(await run(modelPath)).toEqual([1.5, 1.5, 8.5, 9.5]);
      expect(written.parameterCount).toBe(6 + 2 + 256);
      expect(written.files.map((f) => f.file)).toEqual(
        mode === "always" ? ["affine.onnx", "affine.onnx.data"] : ["affine.onnx"],
      );
      for (const file of written.files) {
        const bytes = await readFile(path.join(dir, file.file));
        expect(file.bytes).toBe((await stat(path.join(dir, file.file))).size);
        expect(file.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      }
    },
  );

  it("refuses a source that produces fewer bytes than it declared", async () => {
    const g = new GraphBuilder("short", "float32");
    const x = g.input("x", "float32", [2]);
    g.weight("w", {
      dtype: "float32",
      dims: [2],
      byteLength: 8,
      writeTo: (sink) => sink.write(new Uint8Array(4)),
    });
    g.output(g.op("Add", [x, "w"]), "y", "float32", [2]);
    const dir = await mkdtemp(path.join(os.tmpdir(), "onnx-writer-"));
    await expect(writeModel(g.build(), path.join(dir, "short.onnx"))).rejects.toThrow(
      /declared 8 bytes but its source produced 4/,
    );
  });
});
