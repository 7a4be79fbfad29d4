/** Factory-made generation requests for the fake model, and the greedy output they must get. */
import { makeTensor } from "@pixellm/tensor";
import type { GenerationRequest } from "../../src";
import { IMAGE_TOKEN, type NextToken, defaultNext } from "./fake-model";

export const IMAGE_TOKENS = 256;
/** Image tokens 240…255 are padding (mask 0), as for a non-square image. */
export const IMAGE_MASK = makeTensor(
  "uint8",
  [IMAGE_TOKENS],
  Uint8Array.from({ length: IMAGE_TOKENS }, (_, i) => (i < 240 ? 1 : 0)),
);

/** `length` ids: the tag, the image placeholder, then filler text ids (10…29, never eos or SEG). */
export function promptIds(tag: number, length = 6): number[] {
  return [tag, IMAGE_TOKEN, ...Array.from({ length: length - 2 }, (_, i) => 10 + (i % 20))];
}

/** Positions a prompt of `length` ids occupies once the image is spliced in. */
export function embedded(length: number): number {
  return length - 1 + IMAGE_TOKENS;
}

export function request(
  tag: number,
  options: Partial<GenerationRequest> & { readonly promptLength?: number } = {},
): GenerationRequest {
  const { promptLength, ...rest } = options;
  return {
    promptIds: promptIds(tag, promptLength),
    imageEmbeds: makeTensor("float32", [IMAGE_TOKENS, 4], new Float32Array(IMAGE_TOKENS * 4)),
    imageMask: IMAGE_MASK,
    maxNewTokens: 8,
    ...rest,
  };
}

/**
 * What greedy decoding must produce for a prompt, computed without the scheduler: the first
 * token from the last prompt position, then each token from the one before at the next position.
 */
export function expectedOutput(
  prompt: readonly number[],
  count: number,
  next: NextToken = defaultNext,
  stopAt?: number,
): number[] {
  const tag = prompt[0]!;
  let position = embedded(prompt.length) - 1;
  let token = prompt[prompt.length - 1]!;
  const out: number[] = [];
  while (out.length < count) {
    token = next(tag, token, position++);
    out.push(token);
    if (token === stopAt) break;
  }
  return out;
}

export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open: () => open() };
}
