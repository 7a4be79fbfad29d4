/**
 * `pixellm serve`: the embedded default — the whole pipeline in this process (in-memory queue,
 * in-process stages, no Redis) behind the public gRPC API. `pixellm demo` runs it once.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { PixelLMClient } from "@pixellm/client";
import { type GatewayConfig, gatewayConfig, startGateway } from "@pixellm/gateway";
import { shutdownTelemetry } from "@pixellm/service-kit";
import { startTelemetry } from "@pixellm/service-kit/telemetry";
import { defaultBundle } from "../default-bundle";
import { parseNumber } from "../flags";
import { writeSegmentOutputs } from "../segment-output";
import { stopSignal } from "../stop-signal";
import { targetLine } from "../target-line";

export const serveUsage = `pixellm serve [--model BUNDLE] [--port 7100] [--host 127.0.0.1]
             [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
  The embedded default: gateway, queue and the three stages in this process (no Redis).
  --host        address to listen on: loopback by default; 0.0.0.0 (or an interface's address)
                opens it to the network, where --tls-cert/--tls-key and PIXELLM_API_KEYS belong
  --tls-cert, --tls-key   TLS on the port (PEM files; GATEWAY_TLS_CERT/_KEY)
  --tls-client-ca         require client certificates signed by this CA (GATEWAY_TLS_CLIENT_CA)
  Other settings come from the environment (see README "Configuration").`;

/** The demo's questions about examples/shapes.png: one target, then two. */
export const DEMO_QUERIES = ["Please segment the red ball.", "Please segment the ball and the triangle."];

export const demoUsage = `pixellm demo [--model BUNDLE] [--image FILE] [--query TEXT]... [--out DIR]
  Starts the embedded pipeline, segments an image through its gRPC API, writes the masks, stops.
  Each --query is asked in turn; its masks and overlays go to DIR/<n>/ (n = 1, 2, ...).
  Defaults: the trained demo model, examples/shapes.png, ${DEMO_QUERIES.map((q) => JSON.stringify(q)).join(" and ")},
  demo-output/.`;

/** Where the embedded server listens; TLS files as the GATEWAY_TLS_* settings take them. */
interface Listen {
  readonly host: string;
  readonly port: number;
  readonly tls?: Readonly<Record<string, string>>;
}

async function embeddedConfig(model: string | undefined, listen: Listen): Promise<GatewayConfig> {
  const bundle = model ?? (await defaultBundle());
  return gatewayConfig({
    ...process.env,
    ...listen.tls,
    PIXELLM_BUNDLE: bundle,
    GATEWAY_MODE: "embedded",
    GATEWAY_HOST: listen.host,
    GATEWAY_PORT: String(listen.port),
    PIXELLM_LOG_LEVEL: process.env.PIXELLM_LOG_LEVEL ?? "warn",
  });
}

export async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      port: { type: "string" },
      // Loopback unless asked: the embedded server has no TLS or keys unless they are given.
      host: { type: "string", default: "127.0.0.1" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-client-ca": { type: "string" },
    },
    strict: true,
  });
  const tls = Object.fromEntries(
    [
      ["GATEWAY_TLS_CERT", values["tls-cert"]],
      ["GATEWAY_TLS_KEY", values["tls-key"]],
      ["GATEWAY_TLS_CLIENT_CA", values["tls-client-ca"]],
    ].filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  // Traces and /metrics as a deployed gateway has them (PIXELLM_TRACES_EXPORTER, PIXELLM_METRICS_PORT).
  startTelemetry("gateway");
  const config = await embeddedConfig(values.model, {
    host: values.host,
    port: parseNumber("--port", values.port, { min: 0, max: 65535, integer: true, fallback: 7100 }),
    tls,
  });
  const gateway = await startGateway(config);
  const security = !config.tlsCert ? "off" : config.tlsClientCa ? "mtls" : "tls";
  console.log(servingLine(config.host, gateway.port, security));
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
  // The demo talks to its own server over loopback, in plaintext.
  const gateway = await startGateway(
    await embeddedConfig(values.model, {
      host: "127.0.0.1",
      port: 0,
      tls: { GATEWAY_TLS_CERT: "", GATEWAY_TLS_KEY: "", GATEWAY_TLS_CLIENT_CA: "" },
    }),
  );
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

/** What `serve` prints: the address it bound, and a client command that reaches it. */
export function servingLine(host: string, port: number, tls: "off" | "tls" | "mtls"): string {
  const everywhere = host === "0.0.0.0" || host === "::";
  const reach = everywhere ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const bound = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const security = { off: "", tls: ", TLS", mtls: ", TLS with client certificates" }[tls];
  const tlsFlags = {
    off: "",
    tls: " --tls-ca CA_FILE",
    mtls: " --tls-ca CA_FILE --tls-cert FILE --tls-key FILE",
  }[tls];
  return `pixellm: serving on ${bound} (embedded${everywhere ? ", every interface" : ""}${security}); try: pnpm pixellm client segment --address ${reach}:${port}${tlsFlags} --image examples/shapes.png --query "Segment the ball."`;
}
