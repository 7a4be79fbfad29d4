/**
 * Reading PyTorch pickle (.bin) checkpoints against files torch 1.13 wrote
 * (scripts/reference/make-torch-bin-fixtures.py) and the values it recorded in expected.json.
 */
import { access, copyFile, cp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DTYPE_BYTES, bytesOf, floatBytesToFloat32, viewAs } from "@pixellm/tensor";
import { type TensorShard, TensorStore, TorchFile, writeSafetensors } from "../src";
import { expectCheckpointError, tempDir } from "./support";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "torch-bin");

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: number[];
}
const expected = JSON.parse(await readFile(path.join(FIXTURES, "expected.json"), "utf8")) as {
  malicious_marker: string;
  files: Record<string, Record<string, ExpectedTensor>>;
};
const SINGLE = expected.files["single/pytorch_model.bin"]!;

function numbers(bytes: Uint8Array, dtype: string): number[] {
  if (dtype === "int64") return [...viewAs("int64", bytes)].map(Number);
  if (dtype !== "float32" && dtype !== "float16" && dtype !== "bfloat16") throw new Error(dtype);
  return [...floatBytesToFloat32(bytes, dtype)];
}

/** Every tensor of `shard` has the dtype, shape and values torch saved, in the saved order. */
async function expectTensors(
  shard: Pick<TensorShard, "names" | "info" | "read">,
  want: Record<string, ExpectedTensor>,
) {
  expect(shard.names()).toEqual(Object.keys(want));
  for (const [name, t] of Object.entries(want)) {
    const info = shard.info(name);
    expect({ name, dtype: info.dtype, shape: info.shape }).toEqual({ name, dtype: t.dtype, shape: t.shape });
    // bf16/fp16 values are exact in float32, so the comparison is exact (tolerance 0)
    expect({ name, values: numbers(await shard.read(name), info.dtype) }).toEqual({ name, values: t.values });
  }
}

describe("TorchFile", () => {
  it.each(["single/pytorch_model.bin", "protocol4.bin", "zip64.bin"])(
    "reads every tensor of %s with the values torch saved",
    async (file) => {
      const torch = await TorchFile.open(path.join(FIXTURES, file));
      await expectTensors(torch, SINGLE);
      await torch.close();
    },
  );

  it("reads views of one storage at their own offsets, and a tied weight as the same bytes", async () => {
    const torch = await TorchFile.open(path.join(FIXTURES, "single", "pytorch_model.bin"));
    const weight = await torch.read("model.mm_projector.0.weight"); // storage elements 0..7
    const bias = await torch.read("model.mm_projector.0.bias"); // storage elements 8..19
    expect([weight.byteLength, bias.byteLength]).toEqual([16, 24]);
    expect(numbers(bias, "bfloat16")).toEqual(SINGLE["model.mm_projector.0.bias"]!.values);
    expect(numbers(bias, "bfloat16")).not.toEqual(numbers(weight, "bfloat16").slice(0, 12));
    expect(await torch.read("lm_head.weight")).toEqual(await torch.read("model.embed_tokens.weight"));
    await torch.close();
  });

  it("reads a 0-d tensor as one element and an empty tensor as no bytes", async () => {
    const torch = await TorchFile.open(path.join(FIXTURES, "single", "pytorch_model.bin"));
    expect(torch.info("model.logit_scale")).toMatchObject({ shape: [], byteLength: 4 });
    expect(numbers(await torch.read("model.logit_scale"), "float32")).toEqual([2.5]);
    expect(torch.info("model.empty")).toMatchObject({ shape: [0, 4], byteLength: 0 });
    const chunks: Uint8Array[] = [];
    for await (const chunk of torch.chunks("model.empty", 16)) chunks.push(chunk);
    expect(chunks).toEqual([]);
    await torch.close();
  });

  it("yields chunks that are whole elements and concatenate to the whole read", async () => {
    const torch = await TorchFile.open(path.join(FIXTURES, "zip64.bin"));
    for (const name of torch.names()) {
      const { dtype, byteLength } = torch.info(name);
      const element = DTYPE_BYTES[dtype];
      for (const chunkBytes of [1, 7, 20, 4096]) {
        const chunks: Uint8Array[] = [];
        for await (const chunk of torch.chunks(name, chunkBytes)) chunks.push(chunk);
        expect(chunks.every((c) => c.byteLength % element === 0 && c.byteLength > 0)).toBe(true);
        expect(chunks.reduce((n, c) => n + c.byteLength, 0)).toBe(byteLength);
        expect(Buffer.concat(chunks)).toEqual(Buffer.from(await torch.read(name)));
      }
    }
    await torch.close();
  });

  it("refuses a pickle that calls os.system or eval, naming the global, without running it", async () => {
    await rm(expected.malicious_marker, { force: true });
    await expectCheckpointError(
      TorchFile.open(path.join(FIXTURES, "malicious.bin")),
      "unsafe_pickle",
      /malicious\.bin:malicious\/data\.pkl refers to the Python global posix\.system .*refused without running anything/,
    );
    await expectCheckpointError(
      TorchFile.open(path.join(FIXTURES, "malicious-protocol4.bin")),
      "unsafe_pickle",
      /refers to the Python global builtins\.eval/,
    );
    await expect(access(expected.malicious_marker)).rejects.toThrow(/ENOENT/);
  });

  it("refuses a non-contiguous tensor, naming it and its strides", async () => {
    await expectCheckpointError(
      TorchFile.open(path.join(FIXTURES, "noncontiguous.bin")),
      "unsupported_format",
      /noncontiguous\.bin: tensor transposed \[3,2\] is not contiguous \(stride \[1,3\]\); .*v\.contiguous\(\)/,
    );
  });

  it("names a tensor of a dtype it does not read", async () => {
    await expectCheckpointError(
      TorchFile.open(path.join(FIXTURES, "float64.bin")),
      "unknown_dtype",
      /float64\.bin: tensor doubles is stored as torch\.DoubleStorage; supported: FloatStorage \(float32\)/,
    );
  });

  it("refuses the legacy non-zip format and compressed entries, saying how to re-save", async () => {
    await expectCheckpointError(
      TorchFile.open(path.join(FIXTURES, "legacy.bin")),
      "unsupported_format",
      /legacy\.bin is in PyTorch's legacy \(pre-1\.6, non-zip\) format.*re-save it with a recent torch/,
    );
    await expectCheckpointError(
      TorchFile.open(path.join(FIXTURES, "deflated.bin")),
      "unsupported_format",
      /deflated\.bin: zip entry pytorch_model\/data\.pkl is compressed \(deflate\)/,
    );
  });

  it("reports a truncated file as a truncated shard, wherever it is cut", async () => {
    const dir = await tempDir("torch-bin-");
    const file = path.join(dir, "pytorch_model.bin");
    const { size } = await stat(path.join(FIXTURES, "single", "pytorch_model.bin"));
    for (const cut of [1, 200, size - 100]) {
      await copyFile(path.join(FIXTURES, "single", "pytorch_model.bin"), file);
      await truncate(file, size - cut);
      await expectCheckpointError(
        TorchFile.open(file),
        "truncated_shard",
        /pytorch_model\.bin is truncated: it has no zip end-of-directory record/,
      );
    }
  });

  it("names a file that is not a zip archive, or missing", async () => {
    const dir = await tempDir("torch-bin-");
    await writeFile(path.join(dir, "text.bin"), "not a checkpoint");
    await expectCheckpointError(
      TorchFile.open(path.join(dir, "text.bin")),
      "invalid_header",
      /text\.bin is not a torch\.save checkpoint: it does not start with a zip header/,
    );
    await expectCheckpointError(
      TorchFile.open(path.join(dir, "absent.bin")),
      "missing_file",
      /PyTorch checkpoint file not found: .*absent\.bin/,
    );
  });
});

describe("TensorStore over PyTorch .bin checkpoints", () => {
  it("finds every tensor of a sharded checkpoint through pytorch_model.bin.index.json", async () => {
    const store = await TensorStore.openDirectory(path.join(FIXTURES, "sharded"), "checkpoint");
    const both = {
      ...expected.files["sharded/pytorch_model-00001-of-00002.bin"],
      ...expected.files["sharded/pytorch_model-00002-of-00002.bin"],
    };
    await expectTensors(store, both);
    expect(store.expect("lm_head.weight", [5, 3]).dtype).toBe("bfloat16");
    expect([...(await store.readFloat32("model.mask_decoder.iou_token.weight"))]).toEqual(
      both["model.mask_decoder.iou_token.weight"]!.values,
    );
    await store.close();
  });

  it("opens a single pytorch_model.bin", async () => {
    const store = await TensorStore.openDirectory(path.join(FIXTURES, "single"), "checkpoint");
    await expectTensors(store, SINGLE);
    await store.close();
  });

  it("reports a shard the index lists but the directory lacks as a broken index", async () => {
    const dir = await tempDir("torch-bin-");
    await cp(path.join(FIXTURES, "sharded"), dir, { recursive: true });
    await rm(path.join(dir, "pytorch_model-00002-of-00002.bin"));
    await expectCheckpointError(
      TensorStore.openDirectory(dir, "checkpoint"),
      "broken_index",
      /pytorch_model\.bin\.index\.json lists shard pytorch_model-00002-of-00002\.bin, which is not in/,
    );
  });

  it("reports an index entry its shard does not hold, and a truncated shard", async () => {
    const dir = await tempDir("torch-bin-");
    await cp(path.join(FIXTURES, "sharded"), dir, { recursive: true });
    const indexPath = path.join(dir, "pytorch_model.bin.index.json");
    const index = JSON.parse(await readFile(indexPath, "utf8")) as { weight_map: Record<string, string> };
    index.weight_map["model.norm.weight"] = "pytorch_model-00001-of-00002.bin";
    await writeFile(indexPath, JSON.stringify(index));
    await expectCheckpointError(
      TensorStore.openDirectory(dir, "checkpoint"),
      "broken_index",
      /maps model\.norm\.weight to pytorch_model-00001-of-00002\.bin, but that shard does not contain it/,
    );

    delete index.weight_map["model.norm.weight"];
    await writeFile(indexPath, JSON.stringify(index));
    const shard = path.join(dir, "pytorch_model-00002-of-00002.bin");
    await truncate(shard, (await stat(shard)).size - 30);
    await expectCheckpointError(
      TensorStore.openDirectory(dir, "checkpoint"),
      "truncated_shard",
      /pytorch_model-00002-of-00002\.bin is truncated/,
    );
  });

  it("refuses a malicious pytorch_model.bin", async () => {
    const dir = await tempDir("torch-bin-");
    await copyFile(path.join(FIXTURES, "malicious.bin"), path.join(dir, "pytorch_model.bin"));
    await expectCheckpointError(
      TensorStore.openDirectory(dir, "checkpoint"),
      "unsafe_pickle",
      /posix\.system/,
    );
  });

  it("prefers safetensors when a directory holds both formats, and names both when it holds neither", async () => {
    const dir = await tempDir("torch-bin-");
    await copyFile(path.join(FIXTURES, "single", "pytorch_model.bin"), path.join(dir, "pytorch_model.bin"));
    const only = { name: "only", dtype: "float32" as const, shape: [1] };
    await writeSafetensors(path.join(dir, "model.safetensors"), [
      { ...only, produce: (write) => write(bytesOf(Float32Array.of(1))) },
    ]);
    const store = await TensorStore.openDirectory(dir, "checkpoint");
    expect(store.names()).toEqual(["only"]);
    await store.close();

    const empty = await tempDir("torch-bin-");
    await expectCheckpointError(
      TensorStore.openDirectory(empty, "checkpoint"),
      "missing_file",
      /has none of model\.safetensors\.index\.json, model\.safetensors, pytorch_model\.bin\.index\.json, pytorch_model\.bin/,
    );
  });
});
