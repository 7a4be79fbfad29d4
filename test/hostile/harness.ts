/**
 * The hostile-input harness: a table of cases, each sent to a real server process, each
 * checked for
 * - the right status (one of `expect`), within a time bound (`timeMs`, default DEFAULT_TIME_MS),
 *   and where a status alone does not say which check answered, its message (`details`);
 * - the target process's peak RSS during the case under a bound (`rssMb`, default the target's
 *   own `rssMb`): VmHWM from /proc/<pid>/status, reset before every case by writing 5 to
 *   /proc/<pid>/clear_refs, so each case's peak is its own (the startup's peak is not counted);
 * - a valid request straight afterwards succeeds (the target's `valid()`).
 * A summary table (case, status, ms and its bound, peak and resident MB and the bound, the
 * follow-up) is printed at the end.
 *
 * Adding a case is one entry in a file's table (test/hostile/public-api.test.ts for the public
 * API, test/hostile/stage-apis.test.ts for the stages):
 *
 *   {
 *     name: "priority above 9",
 *     target: "public",
 *     send: (api) => api.segment(segment({ priority: 10 })),
 *     expect: status.INVALID_ARGUMENT, // or a list: [status.INVALID_ARGUMENT, status.RESOURCE_EXHAUSTED]
 *     details: /priority must be 0 to 9/, // optional: the status's message must match (which check refused)
 *     timeMs: 2_000, // optional: instead of DEFAULT_TIME_MS
 *     rssMb: 1_536, // optional: instead of the target's bound
 *   },
 *
 * `send` gets the file's API object with the case's deadline already applied to every call
 * (the time bound plus DEADLINE_GRACE_MS, so a hung server shows up as DEADLINE_EXCEEDED and
 * as over time); it resolves (status OK) or rejects with the server's status. A case of several
 * calls at once (e.g. six large images) sends them with Promise.all. A new target (a second
 * gateway, a TLS port) is one more entry in the file's `targets`: its pid, RSS bound and valid
 * request.
 */
import { readFile, writeFile } from "node:fs/promises";
import { status } from "@grpc/grpc-js";
import { isServiceError } from "@pixellm/api";
import { afterAll, describe, expect, it } from "vitest";

/** Most hostile requests are refused before any model work: well under a second on an idle machine. */
export const DEFAULT_TIME_MS = 3_000;
/** How long past its bound a call may still come back before the client gives up on it. */
const DEADLINE_GRACE_MS = 2_000;
/** A valid request after a case: the tiny model answers in well under a second on an idle machine. */
const FOLLOW_UP_TIME_MS = 20_000;

export interface HostileCase<Api> {
  readonly name: string;
  /** Which process is attacked (a key of the file's targets). */
  readonly target: string;
  readonly send: (api: Api) => Promise<unknown>;
  readonly expect: status | readonly status[];
  /** The status's message must match: for statuses several checks give (which limit refused). */
  readonly details?: RegExp;
  readonly timeMs?: number;
  readonly rssMb?: number;
}

export interface HostileTarget {
  readonly pid: number;
  /** The bound on the process's peak RSS during a case, in MiB. */
  readonly rssMb: number;
  /** A valid request; resolves when it succeeded. */
  valid(deadline: Date): Promise<void>;
}

export interface HostileEnvironment<Api> {
  /** The file's API with every call's deadline set. */
  api(deadline: Date): Api;
  readonly targets: Readonly<Record<string, HostileTarget>>;
}

interface Row {
  readonly name: string;
  readonly target: string;
  readonly status: string;
  readonly ms: number;
  readonly timeMs: number;
  readonly peakMb: number;
  readonly rssBoundMb: number;
  readonly rssMb: number;
  readonly followUp: string;
}

export interface Memory {
  /** VmRSS, MiB. */
  readonly rssMb: number;
  /** VmHWM (peak since the last reset), MiB. */
  readonly peakMb: number;
}

export async function readMemory(pid: number): Promise<Memory> {
  const text = await readFile(`/proc/${pid}/status`, "utf8").catch(() => {
    throw new Error(`process ${pid} is gone: the target exited (crashed?) during the case`);
  });
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/** Starts a new peak: VmHWM drops to the current RSS (Linux, own processes). */
export function resetPeak(pid: number): Promise<void> {
  return writeFile(`/proc/${pid}/clear_refs`, "5");
}

const STATUS_NAMES = new Map(Object.entries(status).map(([name, code]) => [code, name]));

function statusName(code: number): string {
  return STATUS_NAMES.get(code) ?? String(code);
}

/** The status a call ended with: OK when it resolved, the server's code when it failed. */
async function statusOfCall(call: Promise<unknown>): Promise<{ code: status; details: string }> {
  try {
    await call;
    return { code: status.OK, details: "" };
  } catch (error) {
    if (!isServiceError(error)) throw error;
    return { code: error.code, details: error.details };
  }
}

/**
 * Registers one test per case (in table order) and prints the summary table after the last.
 * `environment` is read when the tests run (the file's beforeAll starts the servers).
 */
export function describeHostileCases<Api>(
  title: string,
  cases: readonly HostileCase<Api>[],
  environment: () => HostileEnvironment<Api>,
): void {
  const names = cases.map((c) => c.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new Error(`hostile case "${repeated}" is in the table twice`);
  const rows: Row[] = [];

  describe(title, () => {
    afterAll(() => console.log(`${title}: ${rows.length} cases\n${table(rows)}`));

    for (const hostile of cases) {
      it(hostile.name, async () => {
        const env = environment();
        const target = env.targets[hostile.target];
        if (!target)
          throw new Error(`hostile case "${hostile.name}" names no known target (${hostile.target})`);
        const timeMs = hostile.timeMs ?? DEFAULT_TIME_MS;
        const rssBoundMb = hostile.rssMb ?? target.rssMb;
        const expected = ([] as status[]).concat(hostile.expect);

        await resetPeak(target.pid);
        const started = performance.now();
        const outcome = await statusOfCall(
          hostile.send(env.api(new Date(Date.now() + timeMs + DEADLINE_GRACE_MS))),
        );
        const ms = performance.now() - started;
        const memory = await readMemory(target.pid);
        const followUp = await target.valid(new Date(Date.now() + FOLLOW_UP_TIME_MS)).then(
          () => "ok",
          (error: unknown) => `FAILED ${error instanceof Error ? error.message : String(error)}`,
        );
        rows.push({
          name: hostile.name,
          target: hostile.target,
          status: statusName(outcome.code),
          ms,
          timeMs,
          peakMb: memory.peakMb,
          rssBoundMb,
          rssMb: memory.rssMb,
          followUp,
        });

        expect(expected.map(statusName), `status (details: ${outcome.details})`).toContain(
          statusName(outcome.code),
        );
        if (hostile.details) expect(outcome.details, "the status's message").toMatch(hostile.details);
        expect(ms, `answered within ${timeMs} ms`).toBeLessThanOrEqual(timeMs);
        expect(memory.peakMb, `peak RSS of ${hostile.target} within ${rssBoundMb} MiB`).toBeLessThanOrEqual(
          rssBoundMb,
        );
        expect(followUp, "a valid request right afterwards").toBe("ok");
      });
    }
  });
}

function table(rows: readonly Row[]): string {
  const header = [
    "case",
    "target",
    "status",
    "ms",
    "bound ms",
    "peak MB",
    "RSS MB",
    "bound MB",
    "valid after",
  ];
  const lines = rows.map((r) => [
    r.name,
    r.target,
    r.status,
    r.ms.toFixed(0),
    String(r.timeMs),
    r.peakMb.toFixed(0),
    r.rssMb.toFixed(0),
    String(r.rssBoundMb),
    r.followUp,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  // Numbers (ms to bound MB) right-aligned, text left-aligned.
  const numeric = (i: number) => i >= 3 && i < header.length - 1;
  const format = (cells: readonly string[]) =>
    cells.map((cell, i) => (numeric(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ");
  return [format(header), format(widths.map((w) => "-".repeat(w))), ...lines.map(format)].join("\n");
}
