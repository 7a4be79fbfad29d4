/**
 * Questions answered by the in-process engine. Concurrent calls share its continuous-batching
 * generation stage, as requests to a deployment do.
 */
import { PixelLMEngine } from "@pixellm/engine";
import { EVAL_MAX_NEW_TOKENS } from "@pixellm/muse";
import type { QuestionSegmenter } from "./question-segmenter";

export async function engineSegmenter(bundleDir: string): Promise<QuestionSegmenter> {
  const engine = await PixelLMEngine.load(bundleDir);
  return {
    description: `in-process engine, bundle ${bundleDir}`,
    async segment(image, query) {
      const result = await engine.segment({ image, query, maxNewTokens: EVAL_MAX_NEW_TOKENS });
      return { text: result.text, image: result.image, masks: result.targets.map((t) => t.mask) };
    },
    close: () => engine.close(),
  };
}
