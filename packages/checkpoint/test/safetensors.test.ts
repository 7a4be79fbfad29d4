import { readFile, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bytesOf } from "@pixellm/tensor";
import {
  SafetensorsFile,
  TensorStore,
  type TensorToWrite,
  writeSafetensors,
  writeShardedCheckpoint,
} from "../src";
import { expectCheckpointError, tempDir } from "./support";

function tensor(name: string, values: number[], shape = [values.length]): TensorToWrite {
  return { name, dtype: "float32", shape, produce: (write) => write(bytesOf(Float32Array.from(values))) };
}

describe("safetensors", () => {
  it("reads back what it wrote, whole and in chunks", async () => {
    const dir = await tempDir("safetensors-");
    const file = path.join(dir, "a.safetensors");
    await writeSafetensors(file, [tensor("x", [1, 2, 3, 4, 5, 6], [2, 3]), tensor("y", [7])]);
    const st = await SafetensorsFile.open(file);
    expect(st.info("x")).toMatchObject({ dtype: "float32", shape: [2, 3], byteLength: 24 });
    expect([...new Float32Array((await st.read("x")).buffer)]).toEqual([1, 2, 3, 4, 5, 6]);
    const chunks: number[] = [];
    for await (const chunk of st.chunks("x", 10)) chunks.push(chunk.byteLength);
    expect(chunks).toEqual([8, 8, 8]); // chunks are whole elements
    await st.close();
  });

  it("names a truncated shard and the tensor that runs past its end", async () => {
    const dir = await tempDir("safetensors-");
    const file = path.join(dir, "t.safetensors");
    const size = await writeSafetensors(file, [tensor("first", [1, 2]), tensor("second", [3, 4, 5])]);
    await truncate(file, size - 4);
    await expectCheckpointError(
      SafetensorsFile.open(file),
      "truncated_shard",
      /truncated: tensor second ends at byte \d+ but the file has \d+ bytes/,
    );
  });

  it("rejects a file too short to hold a header, and a header that is not JSON", async () => {
    const dir = await tempDir("safetensors-");
    await writeFile(path.join(dir, "short.safetensors"), Uint8Array.of(1, 2, 3));
    await expectCheckpointError(
      SafetensorsFile.open(path.join(dir, "short.safetensors")),
      "truncated_shard",
      /too short for a safetensors header/,
    );
    const bad = Buffer.alloc(8 + 4);
    bad.writeBigUInt64LE(4n);
    bad.write("{{{{", 8);
    await writeFile(path.join(dir, "bad.safetensors"), bad);
    await expectCheckpointError(
      SafetensorsFile.open(path.join(dir, "bad.safetensors")),
      "invalid_header",
      /not valid JSON/,
    );
  });

  it("names a tensor with an unknown dtype", async () => {
    const dir = await tempDir("safetensors-");
    const header = Buffer.from(JSON.stringify({ w: { dtype: "F8_E4M3", shape: [2], data_offsets: [0, 2] } }));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    await writeFile(path.join(dir, "f8.safetensors"), Buffer.concat([prefix, header, Buffer.alloc(2)]));
    await expectCheckpointError(
      SafetensorsFile.open(path.join(dir, "f8.safetensors")),
      "unknown_dtype",
      /tensor w has dtype "F8_E4M3"/,
    );
  });
});

describe("TensorStore over a sharded checkpoint", () => {
  it("finds every tensor through the index, across shards", async () => {
    const dir = await tempDir("safetensors-");
    const shards = await writeShardedCheckpoint(
      dir,
      [tensor("a", [1, 2]), tensor("b", [3, 4]), tensor("c", [5])],
      8,
    );
    expect(shards).toEqual([
      "model-00001-of-00003.safetensors",
      "model-00002-of-00003.safetensors",
      "model-00003-of-00003.safetensors",
    ]);
    const store = await TensorStore.openDirectory(dir, "checkpoint");
    expect(store.names().sort()).toEqual(["a", "b", "c"]);
    expect([...(await store.readFloat32("b"))]).toEqual([3, 4]);
    await store.close();
  });

  it("names a missing tensor and a shape that does not match", async () => {
    const dir = await tempDir("safetensors-");
    await writeShardedCheckpoint(dir, [tensor("a", [1, 2, 3, 4], [2, 2])], 1024);
    const store = await TensorStore.openDirectory(dir, "checkpoint");
    expect(() => store.info("model.norm.weight")).toThrow(
      /checkpoint .* has no tensor named model\.norm\.weight/,
    );
    expect(() => store.expect("a", [4, 1], "hidden_size 4")).toThrow(
      /tensor a has shape \[2,2\]; expected \[4,1\] \(hidden_size 4\)/,
    );
    await store.close();
  });

  it("reports a broken index: bad JSON, a shard it lists that is absent, a tensor missing from its shard", async () => {
    const dir = await tempDir("safetensors-");
    await writeShardedCheckpoint(dir, [tensor("a", [1])], 1024);
    const indexPath = path.join(dir, "model.safetensors.index.json");
    const index = JSON.parse(await readFile(indexPath, "utf8")) as { weight_map: Record<string, string> };

    await writeFile(indexPath, "{ not json");
    await expectCheckpointError(
      TensorStore.openDirectory(dir, "checkpoint"),
      "invalid_json",
      /index .* is not valid JSON/,
    );

    await writeFile(
      indexPath,
      JSON.stringify({ weight_map: { ...index.weight_map, b: "model-00009-of-00009.safetensors" } }),
    );
    await expectCheckpointError(
      TensorStore.openDirectory(dir, "checkpoint"),
      "broken_index",
      /lists shard model-00009-of-00009\.safetensors, which is not in/,
    );

    await writeFile(
      indexPath,
      JSON.stringify({ weight_map: { ...index.weight_map, ghost: index.weight_map.a } }),
    );
    await expectCheckpointError(
      TensorStore.openDirectory(dir, "checkpoint"),
      "broken_index",
      /maps ghost to model-00001-of-00001\.safetensors, but that shard does not contain it/,
    );

    await writeFile(indexPath, JSON.stringify({ metadata: {} }));
    await expectCheckpointError(
      TensorStore.openDirectory(dir, "checkpoint"),
      "broken_index",
      /has no "weight_map" object/,
    );
  });
});
