/**
 * Writes a graph definition to an .onnx file, streaming every initializer from its source, and
 * reports each file's size and sha256. Initializers go to a side `.data` file (ONNX external
 * data) when the graph's weights would not fit protobuf's 2 GB message limit, or when asked to.
 */
import path from "node:path";
import type { ByteSink } from "@pixellm/protobuf";
import { HashingFileSink } from "./file-sink";
import type { GraphDefinition, InitializerSource } from "./graph-builder";
import { type TensorLocation, modelProto, tensorProto } from "./proto";

/** protobuf refuses messages of 2 GiB or more; stay clear of it with headroom for the graph. */
export const PROTOBUF_LIMIT_BYTES = 2 ** 31 - 64 * 2 ** 20;
/** External data offsets are page aligned so onnxruntime can memory-map them. */
const EXTERNAL_ALIGNMENT = 4096;
/** Tiny initializers (shapes, scalars) stay inline even in external-data models. */
const EXTERNAL_MIN_BYTES = 1024;

export interface WriteModelOptions {
  /** "auto": external data only when needed to stay under the protobuf limit. */
  readonly externalData?: "auto" | "always" | "never";
  readonly metadata?: Readonly<Record<string, string>>;
  /** Called after each initializer is written, with bytes written so far and in total. */
  readonly onProgress?: (written: number, total: number) => void;
}

export interface WrittenFile {
  /** File name relative to the model's directory. */
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface WrittenModel {
  readonly files: readonly WrittenFile[];
  readonly parameterCount: number;
  readonly weightBytes: number;
}

export async function writeModel(
  graph: GraphDefinition,
  modelPath: string,
  options: WriteModelOptions = {},
): Promise<WrittenModel> {
  const sources = [...graph.initializers];
  const weightBytes = sources.reduce((sum, [, s]) => sum + s.byteLength, 0);
  const parameterCount = sources.reduce((sum, [, s]) => sum + s.dims.reduce((a, b) => a * b, 1), 0);
  const mode = options.externalData ?? "auto";
  const external = mode === "always" || (mode === "auto" && weightBytes > PROTOBUF_LIMIT_BYTES);
  const dataFile = `${path.basename(modelPath)}.data`;
  const progress = progressCounter(weightBytes, options.onProgress);

  const files: WrittenFile[] = [];
  const locations = new Map<string, TensorLocation>();
  if (external) {
    const sink = await HashingFileSink.open(path.join(path.dirname(modelPath), dataFile));
    try {
      for (const [name, source] of sources) {
        if (source.byteLength < EXTERNAL_MIN_BYTES) continue;
        await sink.padTo(EXTERNAL_ALIGNMENT);
        const offset = sink.position;
        await writeExactly(source, name, progress.wrap(sink));
        locations.set(name, { kind: "external", file: dataFile, offset, length: source.byteLength });
      }
      files.push({ file: dataFile, ...(await sink.close()) });
    } catch (error) {
      await sink.abort();
      throw error;
    }
  }

  const initializers = sources.map(([name, source]) =>
    tensorProto(
      name,
      source.dtype,
      source.dims,
      locations.get(name) ?? inline(name, source, (sink) => progress.wrap(sink)),
    ),
  );
  const model = modelProto({ ...graph, docString: "", initializers }, options.metadata ?? {});
  if (model.byteLength >= 2 ** 31) {
    throw new Error(
      `graph ${graph.name} is ${model.byteLength} bytes inline; write it with externalData "always"`,
    );
  }
  const sink = await HashingFileSink.open(modelPath);
  try {
    await model.writeTo(sink);
    files.unshift({ file: path.basename(modelPath), ...(await sink.close()) });
  } catch (error) {
    await sink.abort();
    throw error;
  }
  return { files, parameterCount, weightBytes };
}

/**
 * A small graph encoded in memory, every initializer inline: the helpers the engine builds at
 * run time (e.g. the device KV cache's), which never touch the file system.
 */
export function modelBytes(graph: GraphDefinition): Promise<Uint8Array> {
  const initializers = [...graph.initializers].map(([name, source]) =>
    tensorProto(
      name,
      source.dtype,
      source.dims,
      inline(name, source, (sink) => sink),
    ),
  );
  return modelProto({ ...graph, docString: "", initializers }, {}).toBytes();
}

function inline(name: string, source: InitializerSource, wrap: (sink: ByteSink) => ByteSink): TensorLocation {
  return {
    kind: "inline",
    payload: { byteLength: source.byteLength, writeTo: (sink) => writeExactly(source, name, wrap(sink)) },
  };
}

/** Writes a source and checks it produced the length it declared (a short shard must not pass). */
async function writeExactly(source: InitializerSource, name: string, sink: ByteSink): Promise<void> {
  let written = 0;
  await source.writeTo({
    write: (chunk) => {
      written += chunk.byteLength;
      if (written > source.byteLength) return Promise.reject(overrun(name, source.byteLength, written));
      return sink.write(chunk);
    },
  });
  if (written !== source.byteLength) throw overrun(name, source.byteLength, written);
}

function overrun(name: string, expected: number, got: number): Error {
  return new Error(`initializer ${name} declared ${expected} bytes but its source produced ${got}`);
}

function progressCounter(total: number, report?: (written: number, total: number) => void) {
  let written = 0;
  return {
    wrap(sink: ByteSink): ByteSink {
      if (!report) return sink;
      return {
        write: async (chunk) => {
          await sink.write(chunk);
          written += chunk.byteLength;
          report(written, total);
        },
      };
    },
  };
}
