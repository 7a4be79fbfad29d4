/**
 * A throwaway PKI for TLS tests, made with the `openssl` CLI in a temp directory: one CA, a
 * server certificate for 127.0.0.1 and localhost (and `stage.pixellm.test`, for tests of the
 * expected-name override), a client certificate it signed, and a second CA with its own client
 * certificate (a caller the servers must not trust). EC P-256 keys, valid for two days.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { tempDir } from "./tiny-bundle";

const run = promisify(execFile);

export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

export interface TestCertificates {
  readonly dir: string;
  /** The CA that signs every certificate below except `untrusted`. */
  readonly ca: string;
  readonly server: CertPair;
  readonly client: CertPair;
  /** A client certificate from another CA. */
  readonly untrusted: CertPair;
  /** A name only the server certificate's SAN list has (not an address). */
  readonly serverName: string;
}

const SERVER_NAME = "stage.pixellm.test";

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await tempDir("certs");
  const file = (name: string) => path.join(dir, name);
  await makeCa(dir, "ca", "pixellm test CA");
  await makeCa(dir, "other-ca", "an untrusted CA");
  await writeFile(
    file("server.ext"),
    `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${SERVER_NAME}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  await writeFile(file("client.ext"), "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
  await issue(dir, "server", "pixellm test server", "ca", "server.ext");
  await issue(dir, "client", "pixellm gateway", "ca", "client.ext");
  await issue(dir, "untrusted", "a stranger", "other-ca", "client.ext");
  const pair = (name: string) => ({ cert: file(`${name}.crt`), key: file(`${name}.key`) });
  return {
    dir,
    ca: file("ca.crt"),
    server: pair("server"),
    client: pair("client"),
    untrusted: pair("untrusted"),
    serverName: SERVER_NAME,
  };
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function makeCa(dir: string, name: string, subject: string): Promise<void> {
  await run(
    "openssl",
    [
      "req",
      "-x509",
      ...EC_KEY,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${subject}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    { cwd: dir },
  );
}

async function issue(
  dir: string,
  name: string,
  subject: string,
  ca: string,
  extensions: string,
): Promise<void> {
  await run(
    "openssl",
    ["req", ...EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${subject}`],
    {
      cwd: dir,
    },
  );
  await run(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      extensions,
    ],
    { cwd: dir },
  );
}
