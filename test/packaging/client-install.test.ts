/**
 * The client installs alone: `npm pack` of @pixellm/client, installed with `npm install` into an
 * empty directory, pulls in grpc-js and proto-loader and nothing native (no sharp, no
 * onnxruntime, no other workspace package); its declarations type-check in a strict consumer;
 * and examples/client/segment.mjs, run there, segments an image through a running gateway
 * exactly as the in-process engine does. Needs the npm registry (as setup does).
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { PixelLMEngine } from "@pixellm/engine";
import { type RunningGateway, gatewayConfig, startGateway } from "@pixellm/gateway";
import { freePort } from "@pixellm/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/build/workspace";
import { shapesImage } from "../support/images";
import { makeTinyBundle, tempDir } from "../support/tiny-bundle";

const run = promisify(execFile);
const QUERY = "Please segment the red ball.";

let app: string;
let gateway: RunningGateway | undefined;
let engine: PixelLMEngine | undefined;

/** Every package name under node_modules (scoped ones as @scope/name), nested ones included. */
async function installed(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const scoped = entry.name.startsWith("@");
    const packages = scoped
      ? (await readdir(path.join(dir, entry.name))).map((n) => `${entry.name}/${n}`)
      : [entry.name];
    for (const name of packages) {
      names.push(name);
      names.push(...(await installed(path.join(dir, name, "node_modules"))));
    }
  }
  return names;
}

beforeAll(async () => {
  const work = await tempDir("client-install");
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], {
    cwd: path.join(REPO_ROOT, "packages/client"),
  });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  app = path.join(work, "app");
  await mkdir(app);
  await writeFile(
    path.join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  await run("npm", ["install", "--no-audit", "--no-fund", path.join(work, filename)], { cwd: app });

  const tiny = await makeTinyBundle();
  const port = await freePort();
  gateway = await startGateway(
    gatewayConfig({
      PIXELLM_BUNDLE: tiny.bundleDir,
      GATEWAY_MODE: "embedded",
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(port),
      PIXELLM_LOG_LEVEL: "warn",
    }),
  );
  engine = await PixelLMEngine.load(tiny.bundleDir);
}, 240_000);

afterAll(async () => {
  await gateway?.stop();
  await engine?.close();
});

describe("@pixellm/client, packed and installed with npm into an empty directory", () => {
  it("brings grpc-js and proto-loader, and nothing native or from the workspace", async () => {
    const names = await installed(path.join(app, "node_modules"));
    expect(names).toEqual(expect.arrayContaining(["@pixellm/client", "@grpc/grpc-js", "@grpc/proto-loader"]));
    const unwanted = names.filter(
      (n) =>
        /^(sharp|onnxruntime-.*|@img\/.*|@opentelemetry\/.*)$/.test(n) ||
        (n.startsWith("@pixellm/") && n !== "@pixellm/client"),
    );
    expect(unwanted).toEqual([]);
  });

  it("ships declarations that type-check in a strict consumer", async () => {
    await writeFile(
      path.join(app, "consumer.ts"),
      [
        'import { PixelLMClient, type SegmentResponse } from "@pixellm/client";',
        'const client = new PixelLMClient("127.0.0.1:7100", { apiKey: "key" });',
        'const answer: Promise<SegmentResponse> = client.segment({ image: new Uint8Array(8), query: "q" });',
        "void answer.then((a) => a.targets.map((t) => t.mask?.counts.length));",
        "client.close();",
      ].join("\n"),
    );
    const tsc = path.join(REPO_ROOT, "node_modules/.bin/tsc");
    const options = [
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--target",
      "es2022",
      "--skipLibCheck",
      "false",
    ];
    const types = ["--types", "node", "--typeRoots", path.join(REPO_ROOT, "node_modules/@types")];
    const check = await run(tsc, [...options, ...types, "consumer.ts"], { cwd: app }).catch(
      (failure: { stdout: string }) => failure,
    );
    expect(check.stdout).toBe("");
  });

  it("runs examples/client/segment.mjs against a running gateway: the in-process engine's answer", async () => {
    await copyFile(path.join(REPO_ROOT, "examples/client/segment.mjs"), path.join(app, "segment.mjs"));
    const image = await shapesImage(320, 240);
    await writeFile(path.join(app, "shapes.png"), image);
    const { stdout } = await run(
      process.execPath,
      ["segment.mjs", `127.0.0.1:${gateway!.port}`, "shapes.png", QUERY],
      { cwd: app, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
    );
    const served = JSON.parse(stdout) as { text: string; masks: { counts: string }[] };
    const local = await engine!.segment({ image, query: QUERY });
    expect(served.text).toBe(local.text);
    expect(served.masks.map((m) => m.counts)).toEqual(local.targets.map((t) => t.mask.counts));
    expect(served.masks.length).toBeGreaterThan(0);
  });
});
