#!/usr/bin/env -S node --enable-source-maps
/**
 * The `pixellm` command. User mistakes (bad flags, bad checkpoints, bad bundles) print one
 * clear message and exit 2; only unexpected failures print a stack trace.
 */
import { status } from "@grpc/grpc-js";
import { isServiceError } from "@pixellm/api";
import { CheckpointError } from "@pixellm/checkpoint";
import { BundleError } from "@pixellm/bundle";
import { EngineError } from "@pixellm/engine";
import { ExportTargetError } from "@pixellm/model";
import { MuseFormatError } from "@pixellm/muse";
import { exportCommand, exportUsage } from "./commands/export";
import { makeTinyCommand, makeTinyUsage } from "./commands/make-tiny";
import { makeDatasetCommand, makeDatasetUsage } from "./commands/make-dataset";
import { clientCommand, clientUsage } from "./commands/client";
import { evalCommand, evalUsage } from "./commands/eval";
import { segmentCommand, segmentUsage } from "./commands/segment";
import { demoCommand, demoUsage, serveCommand, serveUsage } from "./commands/serve";
import { tenantsCommand, tenantsUsage } from "./commands/tenants";
import { upCommand, upUsage } from "./commands/up";
import { PartialFailure } from "./partial-failure";
import { UsageError } from "./usage-error";

interface Command {
  readonly run: (args: string[]) => Promise<void>;
  readonly usage: string;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  "make-tiny": { run: makeTinyCommand, usage: makeTinyUsage },
  "make-dataset": { run: makeDatasetCommand, usage: makeDatasetUsage },
  export: { run: exportCommand, usage: exportUsage },
  segment: { run: segmentCommand, usage: segmentUsage },
  serve: { run: serveCommand, usage: serveUsage },
  demo: { run: demoCommand, usage: demoUsage },
  client: { run: clientCommand, usage: clientUsage },
  up: { run: upCommand, usage: upUsage },
  eval: { run: evalCommand, usage: evalUsage },
  tenants: { run: tenantsCommand, usage: tenantsUsage },
};

const USER_ERRORS = [UsageError, CheckpointError, BundleError, ExportTargetError, MuseFormatError];

/** Engine failures caused by the input (a bad image, an empty query) are user mistakes too. */
function isUserEngineError(error: unknown): boolean {
  return (
    error instanceof EngineError && (error.code === "invalid_argument" || error.code === "resource_exhausted")
  );
}

function usage(): string {
  return ["usage: pixellm <command> [options]", "", ...Object.values(COMMANDS).map((c) => c.usage), ""].join(
    "\n\n",
  );
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`pixellm: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  if (args.includes("--help")) {
    console.log(command.usage);
    return 0;
  }
  try {
    await command.run(args);
    return 0;
  } catch (error) {
    if (
      USER_ERRORS.some((type) => error instanceof type) ||
      isUserEngineError(error) ||
      isArgumentError(error)
    ) {
      console.error(`pixellm ${name}: ${(error as Error).message}`);
      if (error instanceof UsageError || isArgumentError(error)) console.error(`\n${command.usage}`);
      return 2;
    }
    if (error instanceof PartialFailure) {
      console.error(`pixellm ${name}: ${error.message}`);
      return 1;
    }
    if (isServiceError(error)) {
      // A status from the gateway (bad input, queue full, deadline, …): its message says why.
      console.error(`pixellm ${name}: ${status[error.code]}: ${error.details}`);
      return 1;
    }
    throw error;
  }
}

/** node:util parseArgs reports unknown or malformed flags with these codes. */
function isArgumentError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

process.exitCode = await main(process.argv.slice(2));
