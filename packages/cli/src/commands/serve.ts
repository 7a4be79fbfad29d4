/**
 * `pixellm serve`: the embedded default — the whole pipeline in this process (in-memory queue,
 * in-process stages, no Redis) behind the public gRPC API. `pixellm demo` runs it once.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { PixelLMClient } from "@pixellm/client";
import { type RunningGateway, gatewayConfig, startGateway } from "@pixellm/gateway";
import { shutdownTelemetry } from "@pixellm/service-kit";
import { startTelemetry } from "@pixellm/service-kit/telemetry";
import { defaultBundle } from "../default-bundle";
import { parseNumber } from "../flags";
import { writeSegmentOutputs } from "../segment-output";
import { stopSignal } from "../stop-signal";
import { targetLine } from "../target-line";

export const serveUsage = `pixellm serve [--model BUNDLE] [--port 7100]
  The embedded default: gateway, queue and the three stages in this process (no Redis).
  Other settings come from the environment (see README "Configuration").`;

/** The demo's questions about examples/shapes.png: one target, then two. */
export const DEMO_QUERIES = ["Please segment the red ball.", "Please segment the ball and the triangle."];

export const demoUsage = `pixellm demo [--model BUNDLE] [--image FILE] [--query TEXT]... [--out DIR]
  Starts the embedded pipeline, segments an image through its gRPC API, writes the masks, stops.
  Each --query is asked in turn; its masks and overlays go to DIR/<n>/ (n = 1, 2, ...).
  Defaults: the trained demo model, examples/shapes.png, ${DEMO_QUERIES.map((q) => JSON.stringify(q)).join(" and ")},
  demo-output/.`;

async function embedded(model: string | undefined, port: number): Promise<RunningGateway> {
  const bundle = model ?? (await defaultBundle());
  return startGateway(
    gatewayConfig({
      ...process.env,
      PIXELLM_BUNDLE: bundle,
      GATEWAY_MODE: "embedded",
      GATEWAY_PORT: String(port),
      PIXELLM_LOG_LEVEL: process.env.PIXELLM_LOG_LEVEL ?? "warn",
    }),
  );
}

export async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { model: { type: "string" }, port: { type: "string" } },
    strict: true,
  });
  // Traces and /metrics as a deployed gateway has them (PIXELLM_TRACES_EXPORTER, PIXELLM_METRICS_PORT).
  startTelemetry("gateway");
  const gateway = await embedded(
    values.model,
    parseNumber("--port", values.port, { min: 0, max: 65535, integer: true, fallback: 7100 }),
  );
  console.log(
    `pixellm: serving on 127.0.0.1:${gateway.port} (embedded); try: pnpm pixellm client segment --address 127.0.0.1:${gateway.port} --image examples/shapes.png --query "Segment the ball."`,
  );
  await stopSignal();
  await gateway.stop();
  await shutdownTelemetry();
}

export async function demoCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      image: { type: "string", default: path.join(import.meta.dirname, "../../../../examples/shapes.png") },
      query: { type: "string", multiple: true, default: DEMO_QUERIES },
      out: { type: "string", default: "demo-output" },
    },
    strict: true,
  });
  const gateway = await embedded(values.model, 0);
  const client = new PixelLMClient(`127.0.0.1:${gateway.port}`);
  try {
    const image = await readFile(values.image);
    for (const [k, query] of values.query.entries()) {
      const response = await client.segment({ image, query }, { timeoutMs: 120_000 });
      const out = path.join(values.out, String(k + 1));
      await writeSegmentOutputs(out, response, image);
      console.log(`Q: ${query}\nA: ${response.text}`);
      for (const t of response.targets) console.log(targetLine(t));
      console.log(
        `wrote ${out}/result.json and ${response.targets.length} mask and overlay PNG(s); ${response.timings?.totalMs.toFixed(0)} ms through the embedded gateway\n`,
      );
    }
  } finally {
    client.close();
    await gateway.stop();
  }
}
