/**
 * The services' configuration tables as the chart sees them: which variables the chart sets
 * itself (from other values: ports, the bundle path, Redis, the stage addresses…) and which a
 * user tunes through `<component>.config` (the ConfigMap). The tables are the source of truth:
 * the values schema, the README and values.yaml's defaults are all checked against them.
 */
import { GATEWAY_SETTINGS } from "@pixellm/gateway";
import { LLM_SETTINGS } from "@pixellm/llm";
import { DECODER_SETTINGS } from "@pixellm/pixel-decoder";
import type { ConfigTable, Setting } from "@pixellm/service-kit";
import { VISION_SETTINGS } from "@pixellm/vision-encoder";
import { type JsonSchema, bool, int, oneOfStrings, str } from "./schema-builders";

export type ComponentKey = "gateway" | "visionEncoder" | "llm" | "pixelDecoder";

export interface ChartComponent {
  readonly key: ComponentKey;
  /** Object-name suffix and container name. */
  readonly name: string;
  readonly table: ConfigTable;
  /** Variables the chart sets, each with the values it comes from. */
  readonly owned: Readonly<Record<string, string>>;
}

/** Variables set from the same values in every service. */
const COMMON_OWNED = {
  PIXELLM_BUNDLE: "model.mountPath + model.path",
  PIXELLM_BUNDLE_VERIFY: "model.verify",
  PIXELLM_LOG_LEVEL: "logLevel",
  PIXELLM_SHUTDOWN_GRACE_MS: "<component>.shutdownGraceSeconds × 1000",
  PIXELLM_METRICS_PORT: "metrics.port (when metrics.enabled)",
  // Prometheus scrapes the pod's address: the endpoint must listen on every interface.
  PIXELLM_METRICS_HOST: '"0.0.0.0" (when metrics.enabled)',
};

function stageOwned(prefix: string, addressHint: string): Record<string, string> {
  return {
    ...COMMON_OWNED,
    [`${prefix}_HOST`]: '"0.0.0.0"',
    [`${prefix}_PORT`]: `${addressHint}.port`,
    PIXELLM_EXECUTION_PROVIDER: `${addressHint}.executionProvider`,
    [`${prefix}_TLS_CERT`]: `tls.internal: tls.crt of tls.internal.secretNames.${addressHint}`,
    [`${prefix}_TLS_KEY`]: `tls.internal: tls.key of tls.internal.secretNames.${addressHint}`,
    [`${prefix}_TLS_CLIENT_CA`]: `tls.internal: ca.crt of tls.internal.secretNames.${addressHint}`,
    [`${prefix}_HEALTH_PORT`]: "tls.probePort (when tls.internal.enabled)",
  };
}

export const COMPONENTS: readonly ChartComponent[] = [
  {
    key: "gateway",
    name: "gateway",
    table: GATEWAY_SETTINGS,
    owned: {
      ...COMMON_OWNED,
      GATEWAY_HOST: '"0.0.0.0"',
      GATEWAY_PORT: "gateway.port",
      GATEWAY_MODE: '"redis"',
      REDIS_URL: "redis.url, redis.existingSecret or the bundled Redis",
      REDIS_PASSWORD: "not set by default: from redis.passwordSecret, or the bundled Redis's Secret",
      REDIS_CA_FILE: "not set by default: redis.caSecret, mounted",
      PIXELLM_KEY_PREFIX: "redis.keyPrefix",
      VISION_ADDRESSES: "dns:<fullname>-vision-encoder:<visionEncoder.port> (headless Service)",
      LLM_ADDRESSES: "dns:<fullname>-llm:<llm.port> (headless Service)",
      DECODER_ADDRESSES: "dns:<fullname>-pixel-decoder:<pixelDecoder.port> (headless Service)",
      PIXELLM_API_KEYS: "apiKeys.keys (a Secret) or apiKeys.existingSecret",
      PIXELLM_TENANTS_FILE: "tenants.existingSecret, mounted at /etc/pixellm/tenants",
      GATEWAY_TLS_CERT: "tls.gateway: tls.crt of tls.gateway.secretName",
      GATEWAY_TLS_KEY: "tls.gateway: tls.key of tls.gateway.secretName",
      GATEWAY_TLS_CLIENT_CA: "tls.gateway: ca.crt of tls.gateway.clientCaSecretName",
      GATEWAY_HEALTH_PORT: "tls.probePort (when tls.gateway.enabled)",
      STAGE_TLS_CA: "tls.internal: ca.crt of tls.internal.secretNames.gateway",
      STAGE_TLS_CERT: "tls.internal: tls.crt of tls.internal.secretNames.gateway",
      STAGE_TLS_KEY: "tls.internal: tls.key of tls.internal.secretNames.gateway",
      STAGE_TLS_SERVER_NAME: "tls.internal.serverName",
      // Embedded mode only; the chart always runs the gateway in redis mode.
      PIXELLM_EXECUTION_PROVIDER: "not set (embedded mode only)",
      PIXELLM_WARM_UP: "not set (embedded mode only)",
    },
  },
  {
    key: "visionEncoder",
    name: "vision-encoder",
    table: VISION_SETTINGS,
    owned: stageOwned("VISION", "visionEncoder"),
  },
  { key: "llm", name: "llm", table: LLM_SETTINGS, owned: stageOwned("LLM", "llm") },
  {
    key: "pixelDecoder",
    name: "pixel-decoder",
    table: DECODER_SETTINGS,
    owned: stageOwned("DECODER", "pixelDecoder"),
  },
];

/** The settings a user tunes through `<component>.config`, in table order. */
export function tunableSettings(component: ChartComponent): Setting<unknown>[] {
  return Object.values(component.table).filter((s) => !(s.env in component.owned));
}

/**
 * The JSON schema of one setting, read from its `accepts` text. That text is produced by the
 * setting constructors in @pixellm/service-kit in a fixed form; an unknown form throws, so a
 * new kind of setting cannot slip into the chart unchecked.
 */
export function settingSchema(setting: Setting<unknown>): JsonSchema {
  const description = setting.description;
  const accepts = setting.accepts;
  const integer = /^an integer(?: ≥ (-?\d+))?(?: ≤ (-?\d+))?$/.exec(accepts);
  if (integer) {
    const [, minimum, maximum] = integer;
    return int(
      description,
      minimum === undefined ? undefined : Number(minimum),
      maximum === undefined ? undefined : Number(maximum),
    );
  }
  if (accepts === "true or false") return bool(description);
  if (accepts === "text") return str(description);
  if (accepts === "a comma-separated list") return str(`${description} (comma-separated)`);
  const choices = /^one of ([\w-]+(?:, [\w-]+)+)$/.exec(accepts)?.[1]?.split(", ");
  if (choices) return oneOfStrings(description, choices);
  throw new Error(
    `${setting.env}: no JSON schema for settings that accept "${accepts}"; extend settingSchema`,
  );
}

export function defaultOf(setting: Setting<unknown>): unknown {
  return "default" in setting ? setting.default : undefined;
}
