/**
 * Float32 arithmetic for constants computed at export time. PyTorch computes them in float32,
 * so each operation rounds to float32 here too (`Math.fround`), keeping baked tables within an
 * ulp or so of what the official code holds in memory.
 */
export const f32 = Math.fround;

/** Torch's float32 `finfo.min`, added to masked attention logits. */
export const FLOAT32_MIN = -3.4028234663852886e38;
/** The masked-logit value used in float16 graphs, as the spec prescribes (finfo.min overflows). */
export const FLOAT16_MASK_VALUE = -1e4;
