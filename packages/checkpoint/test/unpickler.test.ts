/**
 * The restricted unpickler on hand-written pickles: the opcodes it allows build the values
 * Python would, and everything outside the allow-list is refused before it can matter.
 */
import { describe, expect, it } from "vitest";
import { CheckpointError } from "../src";
import { readStateDict } from "../src/torch-pickle";
import {
  PickleDict,
  type PickleList,
  type PickleObject,
  PickleTuple,
  type PickleValue,
  type UnpicklePolicy,
  unpickle,
} from "../src/unpickler";

/** Pickle bytes from opcodes (strings, as latin-1) and raw numbers. */
function pickle(...parts: (string | number[])[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))));
}

function u32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}

function binunicode(s: string): (string | number[])[] {
  const bytes = Buffer.from(s, "utf8");
  return ["X", u32(bytes.length), [...bytes]];
}

/** A policy that allows no global and records what it was asked. */
function denyAll(): UnpicklePolicy & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    allowedGlobals: "(none)",
    global(module: string, name: string): PickleObject | undefined {
      asked.push(`${module}.${name}`);
      return undefined;
    },
    persistentLoad(): PickleValue {
      throw new Error("no persistent ids here");
    },
    build(): void {
      throw new Error("no BUILD here");
    },
  };
}

function refusal(bytes: Uint8Array, policy: UnpicklePolicy = denyAll()): CheckpointError {
  try {
    unpickle(bytes, "test.pkl", policy);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error("the pickle was accepted");
}

describe("restricted unpickler", () => {
  it("builds dicts, lists, tuples, numbers and strings as Python would", () => {
    const bytes = pickle(
      "\x80\x02", // PROTO 2
      "}q\x00", // EMPTY_DICT, BINPUT 0
      "(",
      ...binunicode("list"),
      "]q\x01(", // EMPTY_LIST, BINPUT 1, MARK
      "\x88\x89N", // True False None
      "K\x07M\x00\x01J",
      u32(-5 >>> 0), // 7, 256, -5
      "\x8a\x05",
      [0, 0, 0, 0, 1], // LONG1 2**32
      "\x8a\x01\xff", // LONG1 -1
      "G",
      [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], // BINFLOAT 1.5 (big-endian)
      "e", // APPENDS
      "\x8c\x05tuple", // SHORT_BINUNICODE
      "h\x01h\x01", // BINGET 1 twice: the same list
      "\x8c\x01x\x94", // 'x', MEMOIZE (as 2)
      "\x87", // TUPLE3
      "u.", // SETITEMS, STOP
    );
    const top = unpickle(bytes, "test.pkl", denyAll());
    expect(top).toBeInstanceOf(PickleDict);
    const dict = top as PickleDict;
    const list = dict.entries.get("list") as PickleList;
    expect(list.items).toEqual([true, false, null, 7, 256, -5, 2 ** 32, -1, 1.5]);
    const tuple = dict.entries.get("tuple") as PickleTuple;
    expect(tuple).toBeInstanceOf(PickleTuple);
    expect(tuple.items[0]).toBe(list); // memo references share the object
    expect(tuple.items.slice(1)).toEqual([list, "x"]);
  });

  it("refuses a global not on the allow-list, naming it, even before anything calls it", () => {
    const policy = denyAll();
    const error = refusal(pickle("\x80\x02cos\nsystem\n."), policy);
    expect(policy.asked).toEqual(["os.system"]);
    expect(error.code).toBe("unsafe_pickle");
    expect(error.message).toMatch(/test\.pkl refers to the Python global os\.system \(byte 2\)/);

    const stacked = refusal(pickle("\x80\x04\x8c\x08builtins\x8c\x04exec\x93."));
    expect(stacked.message).toMatch(/global builtins\.exec/);
  });

  it.each([
    ["INST", "\x80\x02(ios\nsystem\n."],
    ["OBJ", "\x80\x02(o."],
    ["NEWOBJ", "\x80\x02)\x81."],
    ["EXT1", "\x80\x02\x82\x01."],
    ["an unknown opcode", "\x80\x02\xff."],
  ])("refuses opcode %s", (name, bytes) => {
    const error = refusal(pickle(bytes));
    expect(error.code).toBe("unsafe_pickle");
    expect(error.message).toContain(`pickle opcode ${name} (0x`);
  });

  it.each([
    ["a memo entry read before it is written", "\x80\x02h\x05.", /memo entry 5 is read before it is written/],
    ["a pickle that ends mid-opcode", "\x80\x02X\x10\x00\x00\x00ab", /the pickle ends mid-opcode/],
    ["an empty stack", "\x80\x02\x85.", /the stack is empty/],
    ["REDUCE of a non-callable", "\x80\x02K\x01)R.", /REDUCE applies the number 1/],
    ["SETITEMS without a MARK", "\x80\x02}u.", /no MARK to pop to/],
    ["a future protocol", "\x80\x09.", /pickle protocol 9 is unknown/],
  ])("reports %s as malformed", (_, bytes, message) => {
    const error = refusal(pickle(bytes));
    expect(error.code).toBe("invalid_header");
    expect(error.message).toMatch(message);
  });
});

describe("state dict pickles", () => {
  it("refuses a state dict entry that is not a tensor", () => {
    expect(() => readStateDict(pickle("\x80\x02}(", ...binunicode("step"), "K\x03u."), "x.pkl")).toThrow(
      /x\.pkl does not hold a plain state dict: entry step is the number 3, not a tensor/,
    );
  });

  it("refuses a persistent id that is not a storage", () => {
    expect(() =>
      readStateDict(
        pickle("\x80\x02}(", ...binunicode("w"), ...binunicode("file:///etc/passwd"), "Qu."),
        "x.pkl",
      ),
    ).toThrow(
      /a persistent id is the string "file:\/\/\/etc\/passwd", not \('storage', type, key, location, numel\)/,
    );
  });

  it("refuses calling an allowed global with the wrong arguments", () => {
    const bytes = pickle("\x80\x02ccollections\nOrderedDict\n", "K\x01\x85R.");
    expect(() => readStateDict(bytes, "x.pkl")).toThrow(
      /collections\.OrderedDict is called with 1 arguments/,
    );
  });
});
