export { decoderStage } from "./stage";
export { decoderConfig, DECODER_SETTINGS, type DecoderConfig } from "./config";
export { decoderRuntime, type DecoderRuntime } from "./runtime";
