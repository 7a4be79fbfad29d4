/** `pixellm client …`: talk to a running gateway (segment, submit, get, watch, cancel). */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { PixelLMClient, type TlsOptions } from "@pixellm/client";
import { parseNumber } from "../flags";
import { writeSegmentOutputs } from "../segment-output";
import { targetLine } from "../target-line";
import { UsageError } from "../usage-error";

export const clientUsage = `pixellm client <segment|submit|get|watch|cancel> [options]

  --address HOST:PORT   gateway (default 127.0.0.1:7100, or $PIXELLM_ADDRESS)
  --api-key KEY         sent as authorization: Bearer KEY (default $PIXELLM_API_KEY)
  --timeout-ms N        call deadline; it travels with the request through every stage
  --tls                 TLS, trusting the system's CAs (implied by any --tls-* option)
  --tls-ca FILE         TLS, trusting the CA bundle in FILE (PEM)
  --tls-cert FILE --tls-key FILE   a client certificate, for a gateway that requires one
  --tls-server-name N   the name the gateway's certificate must carry (when --address is an IP)
  segment --image FILE --query TEXT [--stream] [--priority 0-9] [--max-new-tokens N] [--out DIR] [--json]
  submit  --image FILE --query TEXT [--idempotency-key KEY] [--priority 0-9]   prints the job
  get JOB_ID | watch JOB_ID | cancel JOB_ID`;

export async function clientCommand(args: string[]): Promise<void> {
  const [verb, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      address: { type: "string", default: process.env.PIXELLM_ADDRESS ?? "127.0.0.1:7100" },
      "api-key": { type: "string", default: process.env.PIXELLM_API_KEY ?? "" },
      "timeout-ms": { type: "string" },
      image: { type: "string" },
      query: { type: "string" },
      stream: { type: "boolean", default: false },
      priority: { type: "string" },
      "max-new-tokens": { type: "string" },
      "idempotency-key": { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      tls: { type: "boolean", default: false },
      "tls-ca": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-server-name": { type: "string" },
    },
    strict: true,
  });
  const client = new PixelLMClient(values.address, {
    ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
    ...(await tlsOptions(values)),
  });
  const timeout =
    values["timeout-ms"] !== undefined
      ? {
          timeoutMs: parseNumber("--timeout-ms", values["timeout-ms"], {
            min: 1,
            max: 86_400_000,
            integer: true,
            fallback: 0,
          }),
        }
      : {};
  const jobId = () => {
    if (!positionals[0]) throw new UsageError(`client ${verb} needs a JOB_ID`);
    return positionals[0];
  };
  const request = async () => {
    if (!values.image || values.query === undefined)
      throw new UsageError(`client ${verb} needs --image FILE and --query TEXT`);
    return {
      image: await readFile(values.image),
      query: values.query,
      priority: parseNumber("--priority", values.priority, { min: 0, max: 9, integer: true, fallback: 0 }),
      maxNewTokens: parseNumber("--max-new-tokens", values["max-new-tokens"], {
        min: 0,
        max: 100_000,
        integer: true,
        fallback: 0,
      }),
    };
  };
  const print = (value: unknown) => console.log(JSON.stringify(value, null, values.json ? 2 : undefined));
  try {
    switch (verb) {
      case "segment": {
        const input = await request();
        if (values.stream) {
          for await (const event of client.segmentStream(input, timeout)) {
            if (event.text) process.stdout.write(event.text.text);
            else if (event.target)
              process.stdout.write(
                `\n  mask ${event.target.index}: bbox [${event.target.bbox.join(", ")}], area ${event.target.area}`,
              );
            else if (event.done) {
              process.stdout.write("\n");
              if (values.out) await writeSegmentOutputs(values.out, event.done, input.image);
            }
          }
          return;
        }
        const response = await client.segment(input, timeout);
        if (values.out) await writeSegmentOutputs(values.out, response, input.image);
        if (values.json) return print(response);
        console.log(response.text);
        for (const t of response.targets) console.log(targetLine(t));
        return;
      }
      case "submit":
        return print(
          await client.submitJob(await request(), {
            ...timeout,
            ...(values["idempotency-key"] ? { idempotencyKey: values["idempotency-key"] } : {}),
          }),
        );
      case "get":
        return print(await client.getJob(jobId(), timeout));
      case "cancel":
        return print(await client.cancelJob(jobId(), timeout));
      case "watch":
        for await (const job of client.watchJob(jobId(), timeout)) print(job);
        return;
      default:
        throw new UsageError(`unknown client command ${JSON.stringify(verb)}`);
    }
  } finally {
    client.close();
  }
}

/** The --tls-* options as the client's TLS options (files read here), or none for plaintext. */
async function tlsOptions(values: {
  tls: boolean;
  "tls-ca"?: string | undefined;
  "tls-cert"?: string | undefined;
  "tls-key"?: string | undefined;
  "tls-server-name"?: string | undefined;
}): Promise<{ tls?: TlsOptions }> {
  const { tls, "tls-ca": ca, "tls-cert": cert, "tls-key": key, "tls-server-name": serverName } = values;
  if (!tls && !ca && !cert && !key && !serverName) return {};
  if (!cert !== !key) throw new UsageError("--tls-cert and --tls-key are given together");
  const read = async (flag: string, file: string | undefined) => {
    if (file === undefined) return {};
    try {
      return { [flag]: await readFile(file) };
    } catch (error) {
      throw new UsageError(
        `--tls-${flag} ${file}: cannot be read (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  };
  return {
    tls: {
      ...(await read("ca", ca)),
      ...(await read("cert", cert)),
      ...(await read("key", key)),
      ...(serverName ? { serverName } : {}),
    },
  };
}
