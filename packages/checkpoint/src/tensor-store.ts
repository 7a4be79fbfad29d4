/**
 * The tensors of one checkpoint directory, across its shards, addressed by official parameter
 * names. Layouts, tried in this order (Hugging Face prefers safetensors too):
 * `model.safetensors.index.json` + shards, one `model.safetensors`,
 * `pytorch_model.bin.index.json` + PyTorch pickle shards, one `pytorch_model.bin`.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { floatBytesToFloat32, isFloatDType, shapeString } from "@pixellm/tensor";
import { CheckpointError } from "./errors";
import { readJsonObject } from "./json-file";
import { SafetensorsFile } from "./safetensors";
import type { TensorInfo, TensorShard } from "./tensor-file";
import { TorchFile } from "./torch-file";

interface Layout {
  readonly index: string;
  readonly single: string;
  readonly open: (file: string) => Promise<TensorShard>;
}

const LAYOUTS: readonly Layout[] = [
  {
    index: "model.safetensors.index.json",
    single: "model.safetensors",
    open: (f) => SafetensorsFile.open(f),
  },
  { index: "pytorch_model.bin.index.json", single: "pytorch_model.bin", open: (f) => TorchFile.open(f) },
];

export class TensorStore {
  constructor(
    /** For messages: "checkpoint", "vision tower". */
    readonly label: string,
    readonly dir: string,
    private readonly shards: readonly TensorShard[],
    private readonly byName: ReadonlyMap<string, TensorShard>,
  ) {}

  static async openDirectory(dir: string, label: string): Promise<TensorStore> {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      throw new CheckpointError("missing_file", `${label} directory not found: ${dir}`);
    }
    for (const layout of LAYOUTS) {
      if (entries.includes(layout.index)) return openIndexed(dir, label, layout);
      if (entries.includes(layout.single)) {
        const shard = await layout.open(path.join(dir, layout.single));
        return new TensorStore(label, dir, [shard], new Map(shard.names().map((n) => [n, shard])));
      }
    }
    throw new CheckpointError(
      "missing_file",
      `${label} ${dir} has none of ${LAYOUTS.flatMap((l) => [l.index, l.single]).join(", ")}`,
    );
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    return this.shardOf(name).info(name);
  }

  /** The tensor's info after checking it has exactly `shape`; `why` explains the expectation. */
  expect(name: string, shape: readonly number[], why = ""): TensorInfo {
    const info = this.info(name);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        "shape_mismatch",
        `${this.label} tensor ${name} has shape ${shapeString(info.shape)}; expected ${shapeString(shape)}${why ? ` (${why})` : ""}`,
      );
    }
    if (!isFloatDType(info.dtype)) {
      throw new CheckpointError(
        "unknown_dtype",
        `${this.label} tensor ${name} is ${info.dtype}; weights must be float32, float16 or bfloat16`,
      );
    }
    return info;
  }

  read(name: string): Promise<Uint8Array> {
    return this.shardOf(name).read(name);
  }

  chunks(name: string, chunkBytes: number): AsyncGenerator<Uint8Array> {
    return this.shardOf(name).chunks(name, chunkBytes);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    return floatBytesToFloat32(await this.read(name), this.info(name).dtype);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }

  private shardOf(name: string): TensorShard {
    const shard = this.byName.get(name);
    if (!shard)
      throw new CheckpointError("missing_tensor", `${this.label} ${this.dir} has no tensor named ${name}`);
    return shard;
  }
}

async function openIndexed(dir: string, label: string, layout: Layout): Promise<TensorStore> {
  const indexPath = path.join(dir, layout.index);
  const index = await readJsonObject(indexPath, `${label} index`);
  const weightMap = index.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError("broken_index", `${indexPath} has no "weight_map" object`);
  }
  const shardNames = new Set<string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\")) {
      throw new CheckpointError(
        "broken_index",
        `${indexPath} maps ${name} to ${JSON.stringify(shard)}; expected a shard file name`,
      );
    }
    shardNames.add(shard);
  }
  const shards = new Map<string, TensorShard>();
  try {
    for (const shard of shardNames) {
      try {
        shards.set(shard, await layout.open(path.join(dir, shard)));
      } catch (error) {
        if (error instanceof CheckpointError && error.code === "missing_file") {
          throw new CheckpointError(
            "broken_index",
            `${indexPath} lists shard ${shard}, which is not in ${dir}`,
          );
        }
        throw error;
      }
    }
    const byName = new Map<string, TensorShard>();
    for (const [name, shardName] of Object.entries(weightMap as Record<string, string>)) {
      const shard = shards.get(shardName)!;
      if (!shard.has(name)) {
        throw new CheckpointError(
          "broken_index",
          `${indexPath} maps ${name} to ${shardName}, but that shard does not contain it`,
        );
      }
      byName.set(name, shard);
    }
    return new TensorStore(label, dir, [...shards.values()], byName);
  } catch (error) {
    await Promise.all([...shards.values()].map((s) => s.close()));
    throw error;
  }
}
