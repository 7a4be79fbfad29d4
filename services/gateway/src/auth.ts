/**
 * API keys (`authorization: Bearer <key>` or `x-api-key: <key>`) are checked by a server
 * interceptor when the call's metadata arrives: a refused call is answered UNAUTHENTICATED before
 * grpc-js reads its message, so an unauthenticated caller cannot make the gateway buffer or parse
 * a large body. Health checks and reflection stay open (probes carry no key).
 *
 * The caller's tenant reaches the handlers through a WeakMap keyed by the call's metadata object
 * (grpc-js hands the handler the object the interceptor passed on): unlike a metadata entry, a
 * client cannot forge it, and a call that did not pass the interceptor has no tenant, so the
 * handlers refuse it (they fail closed).
 */
import * as grpc from "@grpc/grpc-js";
import { serviceError } from "@pixellm/api";
import { countHandledCall } from "@pixellm/service-kit";
import type { Tenant } from "./tenants/tenant";
import type { TenantDirectory } from "./tenants/tenant-directory";

const tenants = new WeakMap<grpc.Metadata, Tenant>();

/** Authenticates the calls of the services whose full names are given (e.g. "pixellm.v1.PixelLM"). */
export function authInterceptor(
  directory: TenantDirectory,
  serviceNames: readonly string[],
): grpc.ServerInterceptor {
  const guarded = serviceNames.map((name) => `/${name}/`);
  return (method, call) => {
    if (!guarded.some((prefix) => method.path.startsWith(prefix)))
      return new grpc.ServerInterceptingCall(call);
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const presented = presentedKey(metadata);
        const tenant = directory.identify(presented);
        if (!tenant) {
          // next() is never called: the message is never read, so the call costs no memory.
          countHandledCall(method.path, grpc.status.UNAUTHENTICATED);
          call.sendStatus({
            code: grpc.status.UNAUTHENTICATED,
            details: presented
              ? "the API key is not valid"
              : "an API key is required (metadata authorization: Bearer <key>, or x-api-key)",
            metadata: new grpc.Metadata(),
          });
          return;
        }
        tenants.set(metadata, tenant);
        next(metadata);
      })
      .build();
    return new grpc.ServerInterceptingCall(
      call,
      new grpc.ResponderBuilder().withStart((next) => next(listener)).build(),
    );
  };
}

/** The tenant the interceptor authenticated for this call; UNAUTHENTICATED if it did not run. */
export function tenantOf(call: { readonly metadata: grpc.Metadata }): Tenant {
  const tenant = tenants.get(call.metadata);
  if (!tenant) throw serviceError(grpc.status.UNAUTHENTICATED, "the call was not authenticated");
  return tenant;
}

function presentedKey(metadata: grpc.Metadata): string | undefined {
  const bearer = String(metadata.get("authorization")[0] ?? "").replace(/^Bearer\s+/i, "");
  return bearer || String(metadata.get("x-api-key")[0] ?? "") || undefined;
}
