/** `pixellm make-tiny`: a generated checkpoint in the official layout (seconds, no downloads). */
import { parseArgs } from "node:util";
import { type DtypePolicy, isPresetName, makeCheckpoint } from "@pixellm/tiny";
import { formatBytes, formatCount } from "../progress";
import { UsageError } from "../usage-error";

export const makeTinyUsage = `pixellm make-tiny --out DIR [--preset tiny|small|large] [--seed N] [--dtype mixed|fp32|fp16|bf16]

  Writes DIR/checkpoint (sharded safetensors, config.json, tokenizer files) and DIR/vision-tower
  (CLIP config.json, model.safetensors) with deterministic weights in the official layout.
  --preset   tiny (default, tests), small (benchmarks), large (over 1 GB, export memory benchmark)
  --seed     weight seed (default 0)
  --dtype    stored dtypes: mixed (default; like the release: LLM bf16, decoder fp32), or one for all`;

const DTYPES: Record<string, DtypePolicy> = {
  mixed: "mixed",
  fp32: "float32",
  fp16: "float16",
  bf16: "bfloat16",
};

export async function makeTinyCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      preset: { type: "string", default: "tiny" },
      seed: { type: "string", default: "0" },
      dtype: { type: "string", default: "mixed" },
    },
    strict: true,
  });
  if (!values.out) throw new UsageError("make-tiny needs --out DIR");
  if (!isPresetName(values.preset))
    throw new UsageError(`--preset must be tiny, small or large (got ${values.preset})`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new UsageError(`--seed must be a non-negative integer (got ${values.seed})`);
  const dtype = DTYPES[values.dtype];
  if (!dtype) throw new UsageError(`--dtype must be mixed, fp32, fp16 or bf16 (got ${values.dtype})`);
  const started = performance.now();
  const made = await makeCheckpoint({ outDir: values.out, preset: values.preset, seed, dtype });
  console.log(
    `wrote ${made.checkpointDir} and ${made.visionTowerDir}: ${formatCount(made.parameters)} parameters, ${formatBytes(made.bytes)}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
