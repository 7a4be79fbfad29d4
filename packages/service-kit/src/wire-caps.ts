/**
 * Caps on a request's fields, checked on its protobuf wire bytes before anything decodes it:
 * protobufjs materialises a repeated field whole (16 MB of packed `answer_ids` became a
 * 16-million-element array and 1.2 GB), so counts and sizes are read from the wire instead.
 * Length-delimited fields are skipped by their length; the elements of a packed varint field
 * are counted by their terminating bytes, never decoded. Fields without a cap are skipped.
 */
import { type ProtoField, readFields } from "@pixellm/protobuf";

export interface FieldCap {
  /** The field's name in the .proto, for messages. */
  readonly name: string;
  /** Most elements of a repeated field (packed and unpacked elements counted alike). */
  readonly maxCount?: number;
  /** Largest length-delimited value: a bytes or string field, a message, a packed payload. */
  readonly maxBytes?: number;
  /** A packed repeated varint field (int32, int64, bool, enum): its payload holds elements. */
  readonly packedVarints?: boolean;
  /** Caps inside a message-typed field. */
  readonly fields?: FieldCaps;
  /** Where the cap comes from (a setting, the model), named in the refusal. */
  readonly source?: string;
}

/** Caps by field number. */
export type FieldCaps = Readonly<Record<number, FieldCap>>;

/** A field over its cap; the message names the field, what it holds and the cap. */
export class FieldCapError extends Error {
  override name = "FieldCapError";
}

/**
 * Throws FieldCapError when a capped field is over its cap, and ProtoDecodeError when the
 * wire bytes are malformed before that point.
 */
export function checkFieldCaps(bytes: Uint8Array, caps: FieldCaps, path = ""): void {
  const counts = new Map<number, number>();
  for (const field of readFields(bytes)) {
    const cap = caps[field.field];
    if (!cap) continue;
    const name = path + cap.name;
    if (field.wireType === 2) checkValue(field.value, cap, name);
    if (cap.maxCount === undefined) continue;
    const before = counts.get(field.field) ?? 0;
    const count = before + elementsIn(field, cap, cap.maxCount - before);
    counts.set(field.field, count);
    if (count > cap.maxCount)
      throw new FieldCapError(
        `${name} has more than ${cap.maxCount} elements (at least ${count}); the limit is ${cap.maxCount}${from(cap)}`,
      );
  }
}

function checkValue(value: Uint8Array, cap: FieldCap, name: string): void {
  if (cap.maxBytes !== undefined && value.byteLength > cap.maxBytes)
    throw new FieldCapError(
      `${name} is ${value.byteLength} bytes; the limit is ${cap.maxBytes} bytes${from(cap)}`,
    );
  if (cap.fields) checkFieldCaps(value, cap.fields, `${name}.`);
}

function from(cap: FieldCap): string {
  return cap.source ? ` (${cap.source})` : "";
}

/**
 * Elements one wire field adds to a repeated field: 1, or those of a packed payload, counted
 * only as far as one past `room` (the caller refuses at that point anyway).
 */
function elementsIn(field: ProtoField, cap: FieldCap, room: number): number {
  if (field.wireType !== 2 || !cap.packedVarints) return 1;
  return countVarints(field.value, room + 1);
}

/** Varints in a packed payload (each ends with a byte below 0x80), counting stops at `stopAt`. */
export function countVarints(payload: Uint8Array, stopAt: number): number {
  // A varint is 1 to 10 bytes: a payload this long holds more than `stopAt` of them.
  if (payload.byteLength >= stopAt * 10) return Math.ceil(payload.byteLength / 10);
  let count = 0;
  for (let i = 0; i < payload.byteLength && count < stopAt; i++) if (payload[i]! < 0x80) count++;
  return count;
}
