/**
 * TLS for every gRPC hop, one module for both ends: a server's certificate (and, for mutual TLS,
 * the CA its callers' client certificates must chain to), and a caller's trust (the CA that signs
 * the servers, its own client certificate, the name the servers' certificates must carry).
 *
 * Rotation: the files are re-read every `refreshMs` (grpc-js's file-watching certificate
 * provider), so a renewed certificate written over the old files (a Kubernetes Secret volume,
 * cert-manager) is used for new connections without a restart. Each file is also read once at
 * start-up so that a missing or broken one fails the start with the setting's name, instead of a
 * server that drops every connection.
 */
import { X509Certificate } from "node:crypto";
import { accessSync, constants, readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { ConfigError, type ConfigTable, type Setting, int, text } from "./config";

/** A server's TLS: its certificate and key, and the CA of required client certificates (mTLS). */
export interface ServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** Set: callers must present a certificate signed by this CA, or the handshake fails. */
  readonly clientCaFile?: string;
  readonly refreshMs: number;
}

/** A caller's TLS: whom it trusts, what it presents, and which name it expects. */
export interface ClientTls {
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The name the server's certificate must carry when it differs from the address (an IP). */
  readonly serverName?: string;
  readonly refreshMs: number;
}

/** What a channel to a TLS (or plaintext) server is made with. */
export interface ChannelSecurity {
  readonly credentials: grpc.ChannelCredentials;
  /** Channel options TLS needs (the expected server name); spread into the channel's options. */
  readonly options: grpc.ChannelOptions;
}

const REFRESH = {
  env: "PIXELLM_TLS_REFRESH_MS",
  default: 60_000,
  min: 1000,
  description: "how often certificate, key and CA files are re-read (rotation without a restart)",
};

/**
 * A server's TLS settings, `<PREFIX>_TLS_CERT`, `_TLS_KEY`, `_TLS_CLIENT_CA`: all empty is
 * plaintext; cert and key turn TLS on; a client CA also requires client certificates. With them,
 * `<PREFIX>_HEALTH_PORT`, where probes that speak no TLS find the health service.
 */
export function serverTlsSettings(prefix: string) {
  return {
    tlsCert: pemFile(
      `${prefix}_TLS_CERT`,
      "certificate (chain) this server presents; with the key, turns TLS on",
    ),
    tlsKey: pemFile(`${prefix}_TLS_KEY`, "private key of that certificate"),
    tlsClientCa: pemFile(
      `${prefix}_TLS_CLIENT_CA`,
      "CA bundle; set: callers must present a client certificate it signed (mutual TLS), others are refused",
    ),
    tlsRefreshMs: int(REFRESH),
    healthPort: int({
      env: `${prefix}_HEALTH_PORT`,
      default: 0,
      min: 0,
      max: 65535,
      description:
        "plaintext port that serves grpc.health.v1 only, for probes that cannot speak TLS (Kubernetes gRPC probes); 0: none",
    }),
  } satisfies ConfigTable;
}

/** The gateway's TLS towards the stages, `STAGE_TLS_*`: empty CA is plaintext. */
export function stageClientTlsSettings() {
  return {
    stageTlsCa: pemFile(
      "STAGE_TLS_CA",
      "CA bundle the stages' server certificates must chain to; set: stage calls use TLS",
    ),
    stageTlsCert: pemFile(
      "STAGE_TLS_CERT",
      "client certificate presented to the stages (needed when they require one)",
    ),
    stageTlsKey: pemFile("STAGE_TLS_KEY", "private key of that certificate"),
    stageTlsServerName: text({
      env: "STAGE_TLS_SERVER_NAME",
      default: "",
      description:
        "name the stages' certificates must carry, for replicas addressed by IP (dns: entries); empty: the address's host",
    }),
    tlsRefreshMs: int(REFRESH),
  } satisfies ConfigTable;
}

export type ServerTlsConfig = {
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly tlsClientCa: string;
  readonly tlsRefreshMs: number;
};
export type StageClientTlsConfig = {
  readonly stageTlsCa: string;
  readonly stageTlsCert: string;
  readonly stageTlsKey: string;
  readonly stageTlsServerName: string;
  readonly tlsRefreshMs: number;
};

/** A server's TLS from its settings (undefined: plaintext), the files checked as a set. */
export function serverTlsOf(config: ServerTlsConfig): ServerTls | undefined {
  if (!config.tlsCert && !config.tlsKey && !config.tlsClientCa) return undefined;
  if (!config.tlsCert || !config.tlsKey)
    throw new ConfigError(
      "configuration error:\n  a server's TLS certificate and key are set together (*_TLS_CERT and *_TLS_KEY); a client CA (*_TLS_CLIENT_CA) needs them too",
    );
  const tls: ServerTls = {
    certFile: config.tlsCert,
    keyFile: config.tlsKey,
    ...(config.tlsClientCa ? { clientCaFile: config.tlsClientCa } : {}),
    refreshMs: config.tlsRefreshMs,
  };
  checkFiles({ cert: tls.certFile, key: tls.keyFile, ca: tls.clientCaFile });
  return tls;
}

/** The gateway's TLS towards the stages (undefined: plaintext), the files checked as a set. */
export function stageClientTlsOf(config: StageClientTlsConfig): ClientTls | undefined {
  const anySet = config.stageTlsCa || config.stageTlsCert || config.stageTlsKey || config.stageTlsServerName;
  if (!anySet) return undefined;
  if (!config.stageTlsCa)
    throw new ConfigError(
      "configuration error:\n  STAGE_TLS_CA is required when any STAGE_TLS_* setting is set (the CA that signs the stages' certificates)",
    );
  if (!config.stageTlsCert !== !config.stageTlsKey)
    throw new ConfigError("configuration error:\n  STAGE_TLS_CERT and STAGE_TLS_KEY are set together");
  const tls: ClientTls = {
    caFile: config.stageTlsCa,
    ...(config.stageTlsCert ? { certFile: config.stageTlsCert, keyFile: config.stageTlsKey } : {}),
    ...(config.stageTlsServerName ? { serverName: config.stageTlsServerName } : {}),
    refreshMs: config.tlsRefreshMs,
  };
  checkFiles({ cert: tls.certFile, key: tls.keyFile, ca: tls.caFile });
  return tls;
}

/** Plaintext without `tls`; otherwise TLS whose files are re-read every `refreshMs`. */
export function serverCredentials(tls: ServerTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const identity = new grpc.experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    refreshIntervalMs: tls.refreshMs,
  });
  // Without a client CA the server asks for no certificate (plain TLS); with one, it must verify.
  const clientCa = tls.clientCaFile
    ? new grpc.experimental.FileWatcherCertificateProvider({
        caCertificateFile: tls.clientCaFile,
        refreshIntervalMs: tls.refreshMs,
      })
    : null;
  // grpc-js 1.14 hands its first argument to the identity and its second to the CA (the
  // declared parameter names say the opposite; the types, identity then nullable CA, are right).
  return grpc.experimental.createCertificateProviderServerCredentials(identity, clientCa, clientCa !== null);
}

/** Plaintext without `tls`; otherwise TLS (with a client certificate when given), files re-read. */
export function channelSecurity(tls: ClientTls | undefined): ChannelSecurity {
  if (!tls) return { credentials: grpc.credentials.createInsecure(), options: {} };
  const ca = new grpc.experimental.FileWatcherCertificateProvider({
    caCertificateFile: tls.caFile,
    refreshIntervalMs: tls.refreshMs,
  });
  const identity =
    tls.certFile && tls.keyFile
      ? new grpc.experimental.FileWatcherCertificateProvider({
          certificateFile: tls.certFile,
          privateKeyFile: tls.keyFile,
          refreshIntervalMs: tls.refreshMs,
        })
      : null;
  return {
    credentials: grpc.experimental.createCertificateProviderChannelCredentials(ca, identity),
    options: tls.serverName ? { "grpc.ssl_target_name_override": tls.serverName } : {},
  };
}

/**
 * Builds a TLS context from the files once, so that a file that is not PEM, or a key that does
 * not belong to its certificate, stops the start (the settings' own parsing already checked that
 * each file can be read). A CA file is also parsed as a certificate: a TLS context takes one
 * without any silently, and every handshake would fail later. Errors name the paths, never the
 * files' contents.
 */
function checkFiles(files: {
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
}): void {
  try {
    const ca = files.ca ? readFileSync(files.ca) : undefined;
    if (ca) new X509Certificate(ca);
    createSecureContext({
      ...(files.cert && files.key ? { cert: readFileSync(files.cert), key: readFileSync(files.key) } : {}),
      ...(ca ? { ca } : {}),
    });
  } catch (error) {
    const paths = [files.cert, files.key, files.ca].filter(Boolean).join(", ");
    throw new ConfigError(
      `configuration error:\n  TLS files ${paths}: not a usable PEM certificate, key and CA (${(error as Error).message}); check that the key belongs to the certificate`,
    );
  }
}

/** A setting naming a PEM file: empty (unset), or a path that must be readable now. */
function pemFile(env: string, description: string): Setting<string> {
  return {
    env,
    description,
    default: "",
    accepts: "a readable PEM file",
    parse: (raw) => {
      try {
        accessSync(raw, constants.R_OK);
      } catch (error) {
        throw new Error(`cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
      }
      return raw;
    },
  };
}
