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

export const demoUsage = `pixellm demo [--model BUNDLE] [--image FILE] [--query TEXT] [--out DIR]
  Starts the embedded pipeline, segments an image through its gRPC API, writes the masks, stops.
  Defaults: the tiny model, examples/shapes.png, "Please segment the red ball.", demo-output/.`;

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
      query: { type: "string", default: "Please segment the red ball." },
      out: { type: "string", default: "demo-output" },
    },
    strict: true,
  });
  const gateway = await embedded(values.model, 0);
  const client = new PixelLMClient(`127.0.0.1:${gateway.port}`);
  try {
    const image = await readFile(values.image);
    const response = await client.segment({ image, query: values.query }, { timeoutMs: 120_000 });
    await writeSegmentOutputs(values.out, response, image);
    console.log(`Q: ${values.query}\nA: ${response.text}`);
    for (const t of response.targets) console.log(targetLine(t));
    console.log(
      `wrote ${values.out}/result.json and ${response.targets.length} mask and overlay PNG(s); ${response.timings?.totalMs.toFixed(0)} ms through the embedded gateway`,
    );
  } finally {
    client.close();
    await gateway.stop();
  }
}
