/**
 * A restricted unpickler: the opcodes of protocols 2-5 that a pickled state dict uses, and
 * nothing else. A pickle is a program; its GLOBAL and REDUCE opcodes import and call arbitrary
 * Python callables, which is how a hostile checkpoint runs code. Here no global is ever
 * evaluated: the policy maps the few names a state dict needs to TypeScript stand-ins and every
 * other name, and every opcode not listed below, refuses the whole file.
 */
import { CheckpointError } from "./errors";

export type PickleKey = string | number | boolean | null;
export type PickleValue = PickleKey | PickleTuple | PickleList | PickleDict | PickleObject;

export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

export class PickleList {
  readonly items: PickleValue[] = [];
}

export class PickleDict {
  readonly entries = new Map<PickleKey, PickleValue>();
}

/** A value only the policy makes: an allowed global, a storage, a tensor. */
export abstract class PickleObject {
  /** For messages: "torch._utils._rebuild_tensor_v2", "a tensor". */
  abstract readonly description: string;
}

/** An allowed global that REDUCE may apply. */
export abstract class PickleCallable extends PickleObject {
  abstract call(args: readonly PickleValue[]): PickleValue;
}

export interface UnpicklePolicy {
  /** The stand-in for global `module.name`, or undefined to refuse the file. */
  global(module: string, name: string): PickleObject | undefined;
  /** Lists the allowed globals, for the refusal message. */
  readonly allowedGlobals: string;
  /** BINPERSID: what the persistent id names (torch: a storage). */
  persistentLoad(pid: PickleValue): PickleValue;
  /** BUILD: apply `state` to `target`, or throw. */
  build(target: PickleValue, state: PickleValue): void;
}

/** Opcodes outside the allow-list, named so a refusal says what the pickle tried. */
const REFUSED_OPCODES: Readonly<Record<string, string>> = {
  I: "INT",
  L: "LONG",
  F: "FLOAT",
  S: "STRING",
  T: "BINSTRING",
  U: "SHORT_BINSTRING",
  V: "UNICODE",
  B: "BINBYTES",
  C: "SHORT_BINBYTES",
  i: "INST",
  o: "OBJ",
  P: "PERSID",
  p: "PUT",
  g: "GET",
  d: "DICT",
  l: "LIST",
  "0": "POP",
  "1": "POP_MARK",
  "2": "DUP",
  "\x81": "NEWOBJ",
  "\x82": "EXT1",
  "\x83": "EXT2",
  "\x84": "EXT4",
  "\x8b": "LONG4",
  "\x8e": "BINBYTES8",
  "\x8f": "EMPTY_SET",
  "\x90": "ADDITEMS",
  "\x91": "FROZENSET",
  "\x92": "NEWOBJ_EX",
  "\x96": "BYTEARRAY8",
  "\x97": "NEXT_BUFFER",
  "\x98": "READONLY_BUFFER",
};

const HIGHEST_PROTOCOL = 5;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Runs the pickle `bytes` (named `source` in messages) under `policy`; returns its top value. */
export function unpickle(bytes: Uint8Array, source: string, policy: UnpicklePolicy): PickleValue {
  return new Unpickler(bytes, source, policy).run();
}

class Unpickler {
  private at = 0;
  /** Where the current opcode started, for messages. */
  private opcodeAt = 0;
  private readonly view: DataView;
  private readonly stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
    private readonly policy: UnpicklePolicy,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PickleValue {
    for (;;) {
      this.opcodeAt = this.at;
      const op = String.fromCharCode(this.u8());
      switch (op) {
        case "\x80": {
          const protocol = this.u8();
          if (protocol > HIGHEST_PROTOCOL) throw this.malformed(`pickle protocol ${protocol} is unknown`);
          break;
        }
        case "\x95": // FRAME: a length hint for buffered readers; the whole pickle is in memory
          this.take(8);
          break;
        case ".": // STOP
          return this.pop();
        case "}":
          this.stack.push(new PickleDict());
          break;
        case "]":
          this.stack.push(new PickleList());
          break;
        case ")":
          this.stack.push(new PickleTuple([]));
          break;
        case "(":
          this.marks.push(this.stack.length);
          break;
        case "N":
          this.stack.push(null);
          break;
        case "\x88":
          this.stack.push(true);
          break;
        case "\x89":
          this.stack.push(false);
          break;
        case "K": // BININT1
          this.stack.push(this.u8());
          break;
        case "M": // BININT2
          this.stack.push(this.view.getUint16(this.take(2), true));
          break;
        case "J": // BININT
          this.stack.push(this.view.getInt32(this.take(4), true));
          break;
        case "\x8a": // LONG1
          this.stack.push(this.long(this.u8()));
          break;
        case "G": // BINFLOAT
          this.stack.push(this.view.getFloat64(this.take(8), false));
          break;
        case "X": // BINUNICODE
          this.stack.push(this.text(this.view.getUint32(this.take(4), true)));
          break;
        case "\x8c": // SHORT_BINUNICODE
          this.stack.push(this.text(this.u8()));
          break;
        case "\x8d": // BINUNICODE8
          this.stack.push(this.text(this.u64()));
          break;
        case "q": // BINPUT
          this.memo.set(this.u8(), this.top());
          break;
        case "r": // LONG_BINPUT
          this.memo.set(this.view.getUint32(this.take(4), true), this.top());
          break;
        case "\x94": // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case "h": // BINGET
          this.stack.push(this.recall(this.u8()));
          break;
        case "j": // LONG_BINGET
          this.stack.push(this.recall(this.view.getUint32(this.take(4), true)));
          break;
        case "t":
          this.stack.push(new PickleTuple(this.popMark()));
          break;
        case "\x85":
        case "\x86":
        case "\x87": {
          const items = this.popMany(op.charCodeAt(0) - 0x84);
          this.stack.push(new PickleTuple(items));
          break;
        }
        case "s": {
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case "u": {
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case "a": {
          const value = this.pop();
          this.list(this.top()).items.push(value);
          break;
        }
        case "e": {
          const items = this.popMark();
          this.list(this.top()).items.push(...items);
          break;
        }
        case "c": {
          const module = this.line();
          this.stack.push(this.global(module, this.line()));
          break;
        }
        case "\x93": {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== "string" || typeof name !== "string") {
            throw this.malformed("STACK_GLOBAL needs a module and a name string");
          }
          this.stack.push(this.global(module, name));
          break;
        }
        case "R": {
          const args = this.pop();
          const callable = this.pop();
          if (!(callable instanceof PickleCallable))
            throw this.malformed(`REDUCE applies ${describe(callable)}`);
          if (!(args instanceof PickleTuple))
            throw this.malformed(`REDUCE passes ${describe(args)} as arguments`);
          this.stack.push(callable.call(args.items));
          break;
        }
        case "b": {
          const state = this.pop();
          this.policy.build(this.top(), state);
          break;
        }
        case "Q": // BINPERSID
          this.stack.push(this.policy.persistentLoad(this.pop()));
          break;
        default:
          throw this.refused(op);
      }
    }
  }

  private global(module: string, name: string): PickleObject {
    const found = this.policy.global(module, name);
    if (!found) {
      throw new CheckpointError(
        "unsafe_pickle",
        `${this.source} refers to the Python global ${module}.${name} (byte ${this.opcodeAt}), which a state dict ` +
          `never needs; pickles run such globals as code, so the file is refused without running anything. ` +
          `Allowed: ${this.policy.allowedGlobals}`,
      );
    }
    return found;
  }

  private refused(op: string): CheckpointError {
    const code = op.charCodeAt(0);
    const name = REFUSED_OPCODES[op] ?? "an unknown opcode";
    return new CheckpointError(
      "unsafe_pickle",
      `${this.source}: pickle opcode ${name} (0x${code.toString(16).padStart(2, "0")}) at byte ${this.opcodeAt} ` +
        `is not one a state dict uses; the file is refused (re-save it with torch.save(model.state_dict()))`,
    );
  }

  private malformed(what: string): CheckpointError {
    return new CheckpointError(
      "invalid_header",
      `${this.source} is not a valid pickle: ${what} at byte ${this.opcodeAt}`,
    );
  }

  private setItems(target: PickleValue, items: readonly PickleValue[]): void {
    if (!(target instanceof PickleDict)) throw this.malformed(`SETITEM(S) on ${describe(target)}`);
    if (items.length % 2 !== 0) throw this.malformed("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      if (typeof key === "object" && key !== null) throw this.malformed(`a dict key is ${describe(key)}`);
      target.entries.set(key, items[i + 1]!);
    }
  }

  private list(target: PickleValue): PickleList {
    if (!(target instanceof PickleList)) throw this.malformed(`APPEND(S) on ${describe(target)}`);
    return target;
  }

  private recall(index: number): PickleValue {
    if (!this.memo.has(index)) throw this.malformed(`memo entry ${index} is read before it is written`);
    return this.memo.get(index)!;
  }

  private top(): PickleValue {
    if (this.stack.length === 0 || this.stack.length === this.marks.at(-1))
      throw this.malformed("the stack is empty");
    return this.stack[this.stack.length - 1]!;
  }

  private pop(): PickleValue {
    const value = this.top();
    this.stack.pop();
    return value;
  }

  private popMany(count: number): PickleValue[] {
    const floor = this.marks.at(-1) ?? 0;
    if (this.stack.length - count < floor) throw this.malformed("the stack is empty");
    return this.stack.splice(this.stack.length - count, count);
  }

  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.malformed("no MARK to pop to");
    return this.stack.splice(mark);
  }

  /** Advances past `length` bytes and returns where they start. */
  private take(length: number): number {
    if (this.at + length > this.bytes.length) throw this.malformed("the pickle ends mid-opcode");
    const start = this.at;
    this.at += length;
    return start;
  }

  private u8(): number {
    return this.bytes[this.take(1)]!;
  }

  private u64(): number {
    const value = this.view.getBigUint64(this.take(8), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.malformed("a length is too large");
    return Number(value);
  }

  /** LONG1: a little-endian two's-complement integer of `length` bytes. */
  private long(length: number): number {
    const start = this.take(length);
    let value = 0n;
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[start + i]!);
    if (length > 0 && this.bytes[start + length - 1]! & 0x80) value -= 1n << BigInt(8 * length);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw this.malformed(`the integer ${value} is too large`);
    }
    return Number(value);
  }

  private text(length: number): string {
    const start = this.take(length);
    return this.utf8(start, start + length);
  }

  /** GLOBAL's arguments: newline-terminated ASCII. */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.at);
    if (end < 0) throw this.malformed("GLOBAL has no newline");
    const start = this.take(end - this.at + 1);
    return this.utf8(start, end);
  }

  private utf8(start: number, end: number): string {
    try {
      return UTF8.decode(this.bytes.subarray(start, end));
    } catch {
      throw this.malformed("a string is not valid UTF-8");
    }
  }
}

/** A value's kind, for messages. */
export function describe(value: PickleValue): string {
  if (value === null) return "None";
  if (value instanceof PickleObject) return value.description;
  if (value instanceof PickleTuple) return `a tuple of ${value.items.length}`;
  if (value instanceof PickleList) return "a list";
  if (value instanceof PickleDict) return "a dict";
  return `the ${typeof value} ${JSON.stringify(value)}`;
}
