import type { ClipVisionConfig, PixelLMConfig, TensorStore } from "@pixellm/checkpoint";
import type { FloatType } from "@pixellm/onnx";

/** What every graph builder reads: both configs, the two weight stores and the target float type. */
export interface ExportContext {
  readonly config: PixelLMConfig;
  readonly clip: ClipVisionConfig;
  /** The PixelLM checkpoint (LLM, projectors, neck, decoder). */
  readonly llm: TensorStore;
  /** The CLIP vision tower. */
  readonly vision: TensorStore;
  readonly floatType: FloatType;
}
