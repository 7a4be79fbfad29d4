/**
 * The wire pre-scan on hand-built protobuf bytes: repeated fields counted packed and unpacked
 * without decoding, length-delimited fields skipped by their length, nested caps, malformed
 * input reported as such.
 */
import { ProtoDecodeError } from "@pixellm/protobuf";
import { describe, expect, it } from "vitest";
import { FieldCapError, type FieldCaps, checkFieldCaps, countVarints } from "../src/wire-caps";

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const tag = (field: number, wireType: number) => varint(field * 8 + wireType);
const lengthDelimited = (field: number, payload: ArrayLike<number>) => [
  ...tag(field, 2),
  ...varint(payload.length),
  ...Array.from(payload),
];
const packed = (field: number, values: readonly number[]) => lengthDelimited(field, values.flatMap(varint));
const unpacked = (field: number, values: readonly number[]) =>
  values.flatMap((v) => [...tag(field, 0), ...varint(v)]);
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());

// SegmentRequest's shape: image (1, bytes), query (2, string), answer_ids (6, packed int64).
const SEGMENT: FieldCaps = {
  1: { name: "image", maxBytes: 100, source: "GATEWAY_MAX_IMAGE_BYTES" },
  6: { name: "answer_ids", maxCount: 4, packedVarints: true },
};

describe("checkFieldCaps", () => {
  it("accepts a request within its caps, whatever else it holds", () => {
    const ok = bytes(
      lengthDelimited(1, new Uint8Array(100)),
      lengthDelimited(2, [104, 105]),
      [...tag(3, 0), ...varint(300)],
      [...tag(9, 1), 0, 0, 0, 0, 0, 0, 0, 0], // unknown fixed64
      [...tag(10, 5), 0, 0, 0, 0], // unknown fixed32
      packed(6, [1, 300, 70_000, 2 ** 40]),
    );
    expect(() => checkFieldCaps(ok, SEGMENT)).not.toThrow();
  });

  it("refuses a packed repeated field over its count, naming it and the cap", () => {
    const over = bytes(packed(6, [1, 2, 3, 4, 5]));
    expect(() => checkFieldCaps(over, SEGMENT)).toThrow(FieldCapError);
    expect(() => checkFieldCaps(over, SEGMENT)).toThrow(
      /answer_ids has more than 4 elements .* the limit is 4/,
    );
  });

  it("counts unpacked elements, and packed and unpacked runs of one field together", () => {
    expect(() => checkFieldCaps(bytes(unpacked(6, [1, 2, 3, 4])), SEGMENT)).not.toThrow();
    expect(() => checkFieldCaps(bytes(unpacked(6, [1, 2, 3, 4, 5])), SEGMENT)).toThrow(FieldCapError);
    expect(() =>
      checkFieldCaps(bytes(packed(6, [1, 2]), unpacked(6, [3]), packed(6, [4])), SEGMENT),
    ).not.toThrow();
    expect(() =>
      checkFieldCaps(bytes(packed(6, [1, 2]), unpacked(6, [3]), packed(6, [4, 5])), SEGMENT),
    ).toThrow(/answer_ids has more than 4/);
  });

  it("refuses a length-delimited field over its byte cap, naming the setting", () => {
    expect(() => checkFieldCaps(bytes(lengthDelimited(1, new Uint8Array(101))), SEGMENT)).toThrow(
      "image is 101 bytes; the limit is 100 bytes (GATEWAY_MAX_IMAGE_BYTES)",
    );
  });

  it("applies caps inside a nested message and names the path", () => {
    const submit: FieldCaps = { 1: { name: "request", fields: SEGMENT } };
    const inner = bytes(packed(6, [1, 2, 3, 4, 5]));
    expect(() => checkFieldCaps(bytes(lengthDelimited(1, inner)), submit)).toThrow(
      /^request\.answer_ids has more/,
    );
    expect(() => checkFieldCaps(bytes(lengthDelimited(1, bytes(packed(6, [1])))), submit)).not.toThrow();
  });

  it("refuses 16 MB of packed answer_ids in milliseconds without decoding them", () => {
    const payload = new Uint8Array(16 * 2 ** 20).fill(1); // 16 Mi one-byte varints
    const message = bytes([...tag(6, 2), ...varint(payload.length)]);
    const whole = new Uint8Array(message.length + payload.length);
    whole.set(message);
    whole.set(payload, message.length);
    const started = performance.now();
    expect(() =>
      checkFieldCaps(whole, { 6: { name: "answer_ids", maxCount: 2048, packedVarints: true } }),
    ).toThrow(/answer_ids has more than 2048 elements/);
    // Bound generous for a shared, loaded CPU: the scan stops at the cap (it takes well under 1 ms).
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("reports malformed wire bytes as ProtoDecodeError", () => {
    // A length that runs past the end, a truncated varint, a group wire type.
    for (const bad of [
      bytes([...tag(1, 2), ...varint(50), 1, 2]),
      bytes([...tag(6, 0), 0x80]),
      bytes(tag(3, 3)),
    ])
      expect(() => checkFieldCaps(bad, SEGMENT)).toThrow(ProtoDecodeError);
  });
});

describe("countVarints", () => {
  it("counts multi-byte varints by their last byte and stops at the bound", () => {
    const payload = Uint8Array.from([1, 300, 70_000, 2 ** 35].flatMap(varint));
    expect(countVarints(payload, 100)).toBe(4);
    expect(countVarints(payload, 2)).toBe(2);
  });

  it("answers from the length alone when it proves more than the bound", () => {
    // 40 bytes hold at least 4 varints: more than a bound of 3.
    expect(countVarints(new Uint8Array(40).fill(0x80), 3)).toBeGreaterThanOrEqual(3);
  });
});
