/**
 * Seeded random streams (mulberry32 uniforms, Box–Muller normals): generated checkpoints and
 * sampled decoding are reproducible on every machine. `streamSeed` derives independent
 * streams from one seed and a name (e.g. one per tensor).
 */

/** FNV-1a over the seed and the name: the stream's 32-bit starting state. */
export function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast 32-bit generator; uniform in [0, 1). */
export function uniformStream(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal samples by Box–Muller (both halves used) over mulberry32 uniforms. `fill`
 * is the bulk path generated checkpoints use, about 20 ns a value.
 */
export class NormalStream {
  private readonly uniform: () => number;
  private spare = Number.NaN;

  constructor(seed: number) {
    this.uniform = uniformStream(seed);
  }

  next(): number {
    const out = new Float32Array(1);
    this.fill(out);
    return out[0]!;
  }

  /** Writes `shift + scale · z` for the next normal samples z into `out`. */
  fill(out: Float32Array, scale = 1, shift = 0): void {
    const uniform = this.uniform;
    let i = 0;
    if (!Number.isNaN(this.spare) && out.length > 0) {
      out[i++] = shift + scale * this.spare;
      this.spare = Number.NaN;
    }
    while (i < out.length) {
      const radius = Math.sqrt(-2 * Math.log(1 - uniform())); // 1 - u in (0, 1]: log stays finite
      const angle = 2 * Math.PI * uniform();
      out[i++] = shift + scale * radius * Math.cos(angle);
      if (i < out.length) out[i++] = shift + scale * radius * Math.sin(angle);
      else this.spare = radius * Math.sin(angle);
    }
  }
}

/** A function returning successive standard normal samples. */
export function normalStream(seed: number): () => number {
  const stream = new NormalStream(seed);
  return () => stream.next();
}
