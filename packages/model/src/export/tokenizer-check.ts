/**
 * The checkpoint's tokenizer, loaded exactly as the engine will load it from the bundle and
 * checked against the model, before anything is written: a bundle whose tokenizer cannot load
 * (added-token ids that do not follow the vocabulary pieces, an unsupported normalizer) or
 * disagrees with the weights would export fine and then fail on its first request.
 */
import {
  CheckpointError,
  type PixelLMConfig,
  type SpecialTokenIds,
  codebookTokenNames,
} from "@pixellm/checkpoint";
import { TokenizerError, buildPrompt, loadTokenizer, tokenizerImageToken } from "@pixellm/tokenizer";

/** A question like users send, with its image placeholder: the prompt must tokenise. */
const PROBE_QUERY = "Please segment the red ball.";

export async function checkTokenizer(
  checkpointDir: string,
  config: PixelLMConfig,
  tokens: SpecialTokenIds,
): Promise<void> {
  const fail = (problem: string): never => {
    throw new CheckpointError(
      "tokenizer",
      `the tokenizer in ${checkpointDir} ${problem}; the bundle would not load`,
    );
  };
  let tokenizer;
  try {
    tokenizer = await loadTokenizer(checkpointDir);
  } catch (error) {
    if (error instanceof TokenizerError) return fail(`cannot be loaded: ${error.message}`);
    throw error;
  }
  if (tokenizer.vocabSize > config.vocab_size) {
    fail(
      `has ${tokenizer.vocabSize} tokens (${tokenizer.vocabulary.size} pieces + ${tokenizer.addedTokens.size} added) ` +
        `but embed_tokens has ${config.vocab_size} rows (config vocab_size)`,
    );
  }
  const expected: [string, number | undefined, number][] = [
    ["bos", tokenizer.bosId, config.bos_token_id],
    ["eos", tokenizer.eosId, config.eos_token_id],
    ["<im_start>", tokenizer.addedTokens.get("<im_start>"), tokens.imStart],
    ["<im_end>", tokenizer.addedTokens.get("<im_end>"), tokens.imEnd],
    ...codebookTokenNames(config).map((name, i): [string, number | undefined, number] => [
      name,
      tokenizer.addedTokens.get(name),
      tokens.seg[i]!,
    ]),
  ];
  for (const [name, actual, wanted] of expected) {
    if (actual !== wanted)
      fail(`gives ${name} the id ${actual ?? "none"}, but the checkpoint uses ${wanted}`);
  }
  const ids = tokenizerImageToken(tokenizer, buildPrompt(PROBE_QUERY));
  const outside = ids.find((id) => id >= config.vocab_size);
  if (outside !== undefined)
    fail(`produces id ${outside} for a plain prompt, outside the ${config.vocab_size}-row vocabulary`);
}
