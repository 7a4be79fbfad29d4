/**
 * Which hidden states become codebook (SEG) embeddings — `evaluate` in model/PixelLM.py:
 * `mask = isin(output_ids[:, 1:], seg_ids)` prefixed with 255 zeros, applied to the final-norm
 * hidden states of the whole sequence. With the 256 image embeddings in place of the single
 * -200 id, mask index p selects the hidden state at embedded position p, and p = t + 254 for
 * the id at index t ≥ 1: the position right before token t, i.e. the state whose logits
 * produced it. Like the reference, SEG ids already in the prompt count too.
 */

/** The embedded positions gathered for a full id sequence (prompt with -200, then answer). */
export function codebookPositions(
  ids: readonly number[],
  segIds: ReadonlySet<number>,
  imageTokens: number,
): number[] {
  const shift = imageTokens - 2;
  const positions: number[] = [];
  for (let t = 1; t < ids.length; t++) if (segIds.has(ids[t]!)) positions.push(t + shift);
  return positions;
}
