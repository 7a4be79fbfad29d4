/**
 * A bound on the calls a server runs at once, across all its connections (grpc-js caps streams
 * per connection but not connections): a call over the bound is refused with RESOURCE_EXHAUSTED
 * as soon as its headers arrive, before its message is read. Only the named services count, so
 * health checks and reflection are never refused.
 */
import * as grpc from "@grpc/grpc-js";
import { countHandledCall } from "./telemetry/rpc-telemetry";

export interface CallLimit {
  /** Full service names, e.g. "pixellm.v1.PixelLM". */
  readonly services: readonly string[];
  readonly maxCalls: number;
  /** The setting that raises it, named in the refusal. */
  readonly setting: string;
}

export function callLimitInterceptor(limit: CallLimit): grpc.ServerInterceptor {
  const prefixes = limit.services.map((s) => `/${s}/`);
  let running = 0;
  return (method, call) => {
    if (!prefixes.some((p) => method.path.startsWith(p))) return new grpc.ServerInterceptingCall(call);
    let counted = false;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            if (running >= limit.maxCalls) {
              countHandledCall(method.path, grpc.status.RESOURCE_EXHAUSTED);
              call.sendStatus({
                code: grpc.status.RESOURCE_EXHAUSTED,
                details: `the server is running its limit of ${limit.maxCalls} calls (${limit.setting}); retry later`,
                metadata: new grpc.Metadata(),
              });
              return;
            }
            running++;
            counted = true;
            pass(metadata);
          },
          // grpc-js reports every call's end here, whatever ended it (status sent, client gone).
          onCancel: () => {
            if (counted) running--;
            counted = false;
          },
        }),
    });
  };
}
