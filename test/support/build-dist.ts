/**
 * vitest globalSetup: brings every package's dist/ up to date (only what changed is rebuilt)
 * before tests start compiled services through the launcher or the rendered chart.
 */
import { build } from "../../scripts/build/build";

export default async function buildDist(): Promise<void> {
  const summary = await build();
  if (summary.built.length > 0)
    console.log(`build: ${summary.built.length} packages rebuilt in ${(summary.ms / 1000).toFixed(1)} s`);
}
