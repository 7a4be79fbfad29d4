/**
 * Runs one export in its own process and prints its summary and peak RSS as JSON, so the
 * benchmark measures the exporter alone (not the generator that ran before it).
 */
import { exportBundle } from "@pixellm/model";

const [checkpointDir, visionTowerDir, outDir, dtype] = process.argv.slice(2);
if (!checkpointDir || !visionTowerDir || !outDir || (dtype !== "float32" && dtype !== "float16")) {
  throw new Error("usage: export-child CHECKPOINT VISION_TOWER OUT float32|float16");
}
const summary = await exportBundle({ checkpointDir, visionTowerDir, outDir, dtype, force: true });
console.log(
  JSON.stringify({
    seconds: summary.seconds,
    totalBytes: summary.totalBytes,
    totalParameters: summary.totalParameters,
    files: summary.manifest.files.map((f) => ({ path: f.path, bytes: f.bytes })),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
