/** PixelDecoder settings (environment variables; see README "Configuration"). */
import { type ConfigOf, batchingSettings, loadConfig, stageSettings } from "@pixellm/service-kit";

export const DECODER_SETTINGS = {
  ...stageSettings("DECODER", 7103),
  ...batchingSettings("DECODER", { maxBatchSize: 8, maxBatchDelayMs: 5, maxQueue: 64 }, "decode requests"),
};

export type DecoderConfig = ConfigOf<typeof DECODER_SETTINGS>;

export function decoderConfig(env: NodeJS.ProcessEnv = process.env): DecoderConfig {
  return loadConfig(DECODER_SETTINGS, env);
}
