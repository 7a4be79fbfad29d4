import type { ClipVisionConfig, PixelLMConfig } from "@pixellm/checkpoint";
import type { FloatType } from "@pixellm/onnx";
import type { WeightReader } from "./checkpoint-weight";

/** What every graph builder reads: both configs and the two weight stores in the target float type. */
export interface ExportContext {
  readonly config: PixelLMConfig;
  readonly clip: ClipVisionConfig;
  /** The PixelLM checkpoint (LLM, projectors, neck, decoder). */
  readonly llm: WeightReader;
  /** The CLIP vision tower. */
  readonly vision: WeightReader;
  readonly floatType: FloatType;
}
