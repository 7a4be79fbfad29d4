/** Loads the torch fixtures written by scripts/make-interpolate-fixtures.py. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeNpy } from "@pixellm/tensor";

const DIR = join(import.meta.dirname, "..", "fixtures", "interpolate");

export interface InterpolateCase {
  file: string;
  seed: number;
  planes: number;
  in: [number, number];
  out: [number, number];
}

export interface PostprocessCase {
  file: string;
  seed: number;
  count: number;
  resized: [number, number];
  original: [number, number];
  positive: number[];
  score: number[];
}

export interface Manifest {
  torch: string;
  interpolate: InterpolateCase[];
  postprocess: PostprocessCase[];
}

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as Manifest;
}

export function loadFloat32(file: string): Float32Array {
  const tensor = decodeNpy(new Uint8Array(readFileSync(join(DIR, file))));
  if (!(tensor.data instanceof Float32Array)) throw new Error(`${file} is not float32`);
  return tensor.data;
}

/** Same values as `pattern` in the fixture script: integers in [-1000, 1000] / 100, as float32. */
export function pattern(planes: number, height: number, width: number, seed: number): Float32Array {
  const out = new Float32Array(planes * height * width);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const k = ((p * 7919 + i * i * 104729 + j * 1299709 + i * j * 613 + seed * 15485863) % 2001) - 1000;
        out[(p * height + i) * width + j] = k / 100;
      }
    }
  }
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
