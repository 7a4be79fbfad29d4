/**
 * BoundedGate: at most `running` tasks at once, at most `waiting` more in arrival order, and
 * an immediate resource_exhausted beyond both; a failed task frees its slot like a finished one.
 */
import { EngineError } from "@pixellm/errors";
import { describe, expect, it } from "vitest";
import { BoundedGate } from "../src/bounded-gate";

/** A task that runs until `finish` is called. */
function controlled(log: string[], name: string) {
  let finish: (fail?: boolean) => void = () => undefined;
  const task = () =>
    new Promise<string>((resolve, reject) => {
      log.push(`start ${name}`);
      finish = (fail) => (fail ? reject(new Error(name)) : resolve(name));
    });
  return { task, finish: (fail?: boolean) => finish(fail) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("BoundedGate", () => {
  it("runs up to its limit, queues up to its queue, refuses beyond, and starts waiters in order", async () => {
    const gate = new BoundedGate({ running: 2, waiting: 2, describe: "decoding (TEST)" });
    const log: string[] = [];
    const tasks = ["a", "b", "c", "d"].map((name) => controlled(log, name));
    const outcomes = Promise.allSettled(tasks.map((t) => gate.run(t.task)));
    await settle();
    expect(log).toEqual(["start a", "start b"]);
    expect(gate.load).toEqual({ running: 2, waiting: 2 });
    const refused = await gate.run(() => Promise.resolve("e")).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EngineError);
    expect((refused as EngineError).code).toBe("resource_exhausted");
    expect((refused as EngineError).message).toBe(
      "decoding (TEST) is at capacity (2 running, 2 waiting); retry later",
    );
    tasks[1]!.finish(true); // a failure frees its slot too
    await settle();
    expect(log).toEqual(["start a", "start b", "start c"]);
    tasks[0]!.finish();
    await settle();
    expect(log).toEqual(["start a", "start b", "start c", "start d"]);
    expect(gate.load).toEqual({ running: 2, waiting: 0 });
    tasks[2]!.finish();
    tasks[3]!.finish();
    expect((await outcomes).map((o) => o.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it("with no queue, refuses as soon as every slot is taken", async () => {
    const gate = new BoundedGate({ running: 1, waiting: 0, describe: "x" });
    const log: string[] = [];
    const only = controlled(log, "only");
    const running = gate.run(only.task);
    await expect(gate.run(() => Promise.resolve("late"))).rejects.toThrow(
      /x is at capacity \(1 running, 0 waiting\)/,
    );
    only.finish();
    await running;
    await expect(gate.run(() => Promise.resolve("next"))).resolves.toBe("next");
  });
});
