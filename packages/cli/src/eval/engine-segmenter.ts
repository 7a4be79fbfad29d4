/**
 * Questions answered by the in-process engine. Concurrent calls share its continuous-batching
 * generation stage, as requests to a deployment do. An image is decoded and encoded once for all
 * of its questions (MUSE asks several about each), as the gateway does with its vision
 * checkpoint: the engine spent about half of each question's time there.
 */
import { createHash } from "node:crypto";
import { type EncodedImage, PixelLMEngine } from "@pixellm/engine";
import { EVAL_MAX_NEW_TOKENS } from "@pixellm/muse";
import type { QuestionSegmenter } from "./question-segmenter";

/**
 * Images kept encoded, the most recently used: `pixellm eval` asks an image's questions one
 * after another, so only the few images in flight at once are ever asked about again.
 */
const ENCODED_IMAGES_KEPT = 8;

export async function engineSegmenter(bundleDir: string): Promise<QuestionSegmenter> {
  const engine = await PixelLMEngine.load(bundleDir);
  // By content, and as a promise, so that concurrent questions about one image share one encoding.
  const encoded = new Map<string, Promise<EncodedImage>>();
  const encode = (bytes: Uint8Array): Promise<EncodedImage> => {
    const key = createHash("sha256").update(bytes).digest("hex");
    const kept = encoded.get(key);
    if (kept) {
      encoded.delete(key); // re-inserted below: the Map's order is the recency order
      encoded.set(key, kept);
      return kept;
    }
    const encoding = engine.encodeImage(bytes);
    encoded.set(key, encoding);
    // A failed encoding is not kept: the next question tries again.
    encoding.catch(() => encoded.delete(key));
    if (encoded.size > ENCODED_IMAGES_KEPT) encoded.delete(encoded.keys().next().value!);
    return encoding;
  };
  return {
    description: `in-process engine, bundle ${bundleDir}`,
    async segment(image, query) {
      const result = await engine.segment({
        image: await encode(image),
        query,
        maxNewTokens: EVAL_MAX_NEW_TOKENS,
      });
      return { text: result.text, image: result.image, masks: result.targets.map((t) => t.mask) };
    },
    close: () => engine.close(),
  };
}
