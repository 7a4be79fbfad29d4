/**
 * docs/configuration.md from the services' settings tables (the only source of truth for
 * environment variables). `--check` fails when the committed file is out of date.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { GATEWAY_SETTINGS } from "@pixellm/gateway";
import { LLM_SETTINGS } from "@pixellm/llm";
import { DECODER_SETTINGS } from "@pixellm/pixel-decoder";
import { describeConfig } from "@pixellm/service-kit";
import { VISION_SETTINGS } from "@pixellm/vision-encoder";

const target = path.join(import.meta.dirname, "../docs/configuration.md");
const sections: [string, string, Parameters<typeof describeConfig>[0]][] = [
  ["gateway", "The public API, the job queue and the orchestration (`services/gateway`).", GATEWAY_SETTINGS],
  [
    "vision-encoder",
    "CLIP + projectors + neck with dynamic batching (`services/vision-encoder`).",
    VISION_SETTINGS,
  ],
  ["llm", "LLaMA generation with continuous batching (`services/llm`).", LLM_SETTINGS],
  ["pixel-decoder", "Mask decoding with dynamic batching (`services/pixel-decoder`).", DECODER_SETTINGS],
];
const text = [
  "# Configuration",
  "",
  "Every service is configured by environment variables only. This file is generated from the settings",
  "tables in `services/*/src/config.ts` by `pnpm docs:config`; CI fails when it is out of date. A bad",
  "value stops the service at start-up with a message naming the variable and what it accepts.",
  "",
  ...sections.flatMap(([name, about, table]) => [`## ${name}`, "", about, "", describeConfig(table), ""]),
].join("\n");

if (process.argv.includes("--check")) {
  const committed = await readFile(target, "utf8").catch(() => "");
  if (committed !== text) {
    console.error("docs/configuration.md is out of date: run `pnpm docs:config` and commit it");
    process.exit(1);
  }
  console.log("docs/configuration.md matches the settings tables");
} else {
  await writeFile(target, text);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
