/** `pixellm export`: official-layout checkpoint + CLIP tower → model bundle. */
import { parseArgs } from "node:util";
import { exportBundle } from "@pixellm/model";
import { ProgressBar, formatBytes, formatCount } from "../progress";
import { UsageError } from "../usage-error";

export const exportUsage = `pixellm export --checkpoint DIR --vision-tower DIR --out BUNDLE [--dtype fp32|fp16] [--name NAME] [--force]

  --checkpoint     PixelLM checkpoint directory (config.json, sharded *.safetensors + index, tokenizer files)
  --vision-tower   CLIP vision tower directory (config.json, model.safetensors), e.g. clip-vit-large-patch14-336
  --out            bundle directory to create
  --dtype          float type inside the graphs: fp32 (default) or fp16
  --name           bundle name recorded in pixellm.json (default: the checkpoint directory name)
  --force          replace an existing bundle at --out`;

const DTYPES = { fp32: "float32", fp16: "float16" } as const;

export async function exportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      checkpoint: { type: "string" },
      "vision-tower": { type: "string" },
      out: { type: "string" },
      dtype: { type: "string", default: "fp32" },
      name: { type: "string" },
      force: { type: "boolean", default: false },
    },
    strict: true,
  });
  const checkpointDir = values.checkpoint;
  const visionTowerDir = values["vision-tower"];
  const outDir = values.out;
  if (!checkpointDir || !visionTowerDir || !outDir)
    throw new UsageError("export needs --checkpoint, --vision-tower and --out");
  const dtype = values.dtype as keyof typeof DTYPES;
  if (!Object.hasOwn(DTYPES, dtype))
    throw new UsageError(`--dtype must be fp32 or fp16 (got ${values.dtype})`);

  const progress = new ProgressBar();
  const summary = await exportBundle({
    checkpointDir,
    visionTowerDir,
    outDir,
    dtype: DTYPES[dtype],
    force: values.force,
    ...(values.name ? { name: values.name } : {}),
    onProgress: (event) => {
      if (event.kind === "graph-bytes") progress.update(event.graph, event.written, event.total);
      if (event.kind === "graph-done") {
        progress.finish(
          `${event.graph.padEnd(8)} ${formatCount(event.parameters).padStart(9)} parameters  ${formatBytes(event.bytes).padStart(9)}`,
        );
      }
    },
  });
  console.log(
    `exported ${summary.outDir}: ${formatCount(summary.totalParameters)} parameters, ${formatBytes(summary.totalBytes)}, ${summary.seconds.toFixed(1)} s (${dtype})`,
  );
}
