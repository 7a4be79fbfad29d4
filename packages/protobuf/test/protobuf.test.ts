import { describe, expect, it } from "vitest";
import {
  ProtoMessage,
  encodeVarint,
  fieldFloat,
  fieldNumber,
  fieldPackedVarints,
  fieldString,
  readFields,
} from "../src";
import type { ByteSink } from "../src";

describe("varint", () => {
  it("encodes the protobuf reference values", () => {
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    // int64 -1 is ten bytes of two's complement
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe("ProtoMessage", () => {
  it("round-trips scalar, string, packed and nested fields through the reader", async () => {
    const inner = new ProtoMessage().string(1, "añb").float(2, 0.5);
    const msg = new ProtoMessage().varint(1, 150).message(2, inner).packedVarints(3, [1, 300, -2]);
    const bytes = await msg.toBytes();
    expect(bytes.byteLength).toBe(msg.byteLength);
    const fields = [...readFields(bytes)];
    expect(fields.map((f) => f.field)).toEqual([1, 2, 3]);
    expect(fieldNumber(fields[0]!)).toBe(150);
    const nested = [...readFields(fields[1]!.value as Uint8Array)];
    expect(fieldString(nested[0]!)).toBe("añb");
    expect(fieldFloat(nested[1]!)).toBe(0.5);
    expect(fieldPackedVarints(fields[2]!).map((v) => BigInt.asIntN(64, v))).toEqual([1n, 300n, -2n]);
  });

  it("streams lazy payloads only when written, with their length declared up front", async () => {
    let produced = 0;
    const lazy = {
      byteLength: 5,
      writeTo: async (sink: ByteSink) => {
        produced++;
        await sink.write(Uint8Array.from([1, 2]));
        await sink.write(Uint8Array.from([3, 4, 5]));
      },
    };
    const msg = new ProtoMessage().message(1, new ProtoMessage().lazy(7, lazy));
    expect(produced).toBe(0);
    expect(msg.byteLength).toBe(2 + 2 + 5);
    const bytes = await msg.toBytes();
    expect(produced).toBe(1);
    const outer = [...readFields(bytes)];
    const inner = [...readFields(outer[0]!.value as Uint8Array)];
    expect([...(inner[0]!.value as Uint8Array)]).toEqual([1, 2, 3, 4, 5]);
  });

  it("refuses a lazy payload that produces a different length than declared", async () => {
    const lying = { byteLength: 3, writeTo: (sink: ByteSink) => sink.write(Uint8Array.from([1])) };
    await expect(new ProtoMessage().lazy(1, lying).toBytes()).rejects.toThrow(
      /declared 5 bytes but produced 3/,
    );
  });

  it("reports truncated input instead of reading past the end", () => {
    expect(() => [...readFields(Uint8Array.from([0x0a, 0x05, 0x01]))]).toThrow(/runs past the end/);
  });
});
