export { TokenizerError } from "./errors";
export {
  readSentencePieceModel,
  writeSentencePieceModel,
  pieceToByte,
  byteToPiece,
  type SentencePieceModel,
  type SentencePiece,
  type PieceType,
  type ModelType,
  type TrainerSpec,
  type NormalizerSpec,
} from "./sentencepiece-model";
export type { Vocabulary } from "./vocabulary";
export { SentencePieceBpe } from "./bpe";
export { HfBpe, type HfBpeModel } from "./hf-bpe";
export { readHfTokenizerJson, type HfTokenizerJson, type HfAddedToken } from "./hf-tokenizer-json";
export { sentencePieceToHfTokenizerJson, type AddedTokenEntry } from "./hf-tokenizer-json-writer";
export { AddedTokenSplitter, type StripRule, type TextPart } from "./added-tokens";
export {
  LlamaTokenizer,
  addedToken,
  cleanUpTokenization,
  type SpecialToken,
  type LlamaTokenizerOptions,
  type DecodeOptions,
} from "./llama-tokenizer";
export { loadTokenizer } from "./tokenizer-files";
export {
  IMAGE_TOKEN_INDEX,
  DEFAULT_IMAGE_TOKEN,
  DEFAULT_IM_START_TOKEN,
  DEFAULT_IM_END_TOKEN,
  LLAVA_V1_SYSTEM,
  buildPrompt,
  tokenizerImageToken,
  decodeChatOutput,
} from "./prompt";
export { writeTinyTokenizer, tinySentencePieceModel, TINY_REQUIRED_PIECES } from "./tiny-tokenizer";
export {
  SEG_TOKENS,
  trainLlamaSentencePieceModel,
  writeLlamaTokenizer,
  type LlamaTokenizerInfo,
  type LlamaTokenizerTraining,
} from "./llama-layout-tokenizer";
export { trainBpe, type TrainedBpe, type BpeTrainingOptions } from "./bpe-trainer";
