/**
 * Next-token choice. Greedy is the official decoding (`do_sample=False`, `num_beams=1`): the
 * first index of the maximum, as torch.argmax returns. Temperature / top-p sampling with a
 * per-request seed is an extra for clients that want variety.
 */
import { streamSeed, uniformStream } from "@pixellm/tensor";
import { EngineError } from "@pixellm/errors";

export interface SamplingOptions {
  /** 0 means greedy. */
  readonly temperature: number;
  /** Nucleus mass in (0, 1]; 1 keeps the whole distribution. */
  readonly topP: number;
  readonly seed: number;
}

export const GREEDY: SamplingOptions = { temperature: 0, topP: 1, seed: 0 };

export type TokenSampler = (logits: Float32Array) => number;

export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function createSampler(options: SamplingOptions): TokenSampler {
  // Out of range, the nucleus below is empty (top_p 0: no token at all) or inverted (T < 0).
  if (!(options.temperature >= 0 && Number.isFinite(options.temperature)))
    throw new EngineError(
      "invalid_argument",
      `temperature must be finite and ≥ 0 (got ${options.temperature})`,
    );
  // Greedy ignores top_p (a proto3 request that leaves it unset sends 0).
  if (options.temperature === 0) return argmax;
  if (!(options.topP > 0 && options.topP <= 1))
    throw new EngineError("invalid_argument", `top_p must be in (0, 1] (got ${options.topP})`);
  const uniform = uniformStream(streamSeed(options.seed, "sampling"));
  return (logits) => {
    const max = logits[argmax(logits)]!;
    const order = Array.from(logits.keys());
    const weights = Float64Array.from(logits, (l) => Math.exp((l - max) / options.temperature));
    order.sort((a, b) => weights[b]! - weights[a]!);
    const total = weights.reduce((a, b) => a + b, 0);
    // Keep the smallest prefix of most likely tokens whose mass reaches top_p.
    let kept = 0;
    let mass = 0;
    while (kept < order.length && mass < options.topP * total) mass += weights[order[kept++]!]!;
    let target = uniform() * mass;
    for (let i = 0; i < kept; i++) {
      target -= weights[order[i]!]!;
      if (target < 0) return order[i]!;
    }
    return order[kept - 1]!;
  };
}
