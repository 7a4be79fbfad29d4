/**
 * Property-based fuzzing of the tensor codec (packages/api/src/tensor-codec.ts), the check every
 * stage runs on every tensor it receives:
 * - any Tensor message (dtypes valid, unspecified or unknown; shapes with negative, huge or
 *   overflowing products; byte lengths that do not match; misaligned data; good and bad CRCs)
 *   against any expected spec either decodes to a tensor whose byte length is its shape's
 *   product × itemsize and whose dtype and shape match the spec, or throws TensorCodecError;
 * - every valid tensor survives encode → protobuf wire → decode bit for bit.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Tensor__Output,
  TensorCodecError,
  crc32c,
  decodeTensor,
  encodeTensor,
  packageDefinition,
} from "@pixellm/api";
import { DTYPE_BYTES, type DType, bytesOf, numel, viewAs } from "@pixellm/tensor";
import { FUZZ_RUNS, fuzzParameters } from "./fuzz-settings";

const DTYPES = Object.keys(DTYPE_BYTES) as DType[];
const WIRE_NAMES: Record<DType, string> = {
  float32: "DTYPE_FLOAT32",
  float16: "DTYPE_FLOAT16",
  bfloat16: "DTYPE_BFLOAT16",
  int64: "DTYPE_INT64",
  int32: "DTYPE_INT32",
  uint8: "DTYPE_UINT8",
  bool: "DTYPE_BOOL",
};

/** Dimensions as int64 fields arrive (longs as Numbers), plus values no wire could carry. */
const dimension = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: -1 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      2 ** 31 - 1,
      2 ** 32,
      2 ** 40,
      2 ** 53,
      2 ** 53 + 2,
      2 ** 63,
      1e300,
      -(2 ** 63),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(0.5, Number.NaN, Infinity, -Infinity) },
);

const wireDtype = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Object.values(WIRE_NAMES)) },
  { weight: 1, arbitrary: fc.constantFrom("DTYPE_UNSPECIFIED", "", "float32", "DTYPE_FLOAT64") },
  // An unknown enum number arrives as a number string-typed field would not: keep both forms.
  { weight: 1, arbitrary: fc.integer({ min: 8, max: 2 ** 31 - 1 }).map(String) },
);

/** Data whose length matches the shape most of the time (so decoding gets past the length check). */
function tensorMessage(): fc.Arbitrary<Tensor__Output> {
  return fc
    .record({
      dtype: wireDtype,
      shape: fc.array(dimension, { maxLength: 5 }),
      lengthDelta: fc.oneof(
        { weight: 4, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: -9, max: 9 }) },
      ),
      offset: fc.integer({ min: 0, max: 7 }),
      crc: fc.constantFrom("none", "none", "right", "right", "wrong"),
      fill: fc.integer({ min: 0, max: 255 }),
    })
    .map(({ dtype, shape, lengthDelta, offset, crc, fill }) => {
      const itemsize =
        DTYPE_BYTES[(Object.entries(WIRE_NAMES).find(([, w]) => w === dtype)?.[0] ?? "uint8") as DType];
      const product = shape.reduce((a, d) => a * d, 1) * itemsize;
      const wanted = Number.isSafeInteger(product) && product >= 0 && product <= 4096 ? product : 16;
      const length = Math.max(0, wanted + lengthDelta);
      // A view at an odd offset, as a Buffer slice of a larger message would be.
      const data = new Uint8Array(length + offset).fill(fill).subarray(offset);
      const crc32 = crc === "none" ? 0 : crc === "right" ? crc32c(data) : (crc32c(data) ^ 1) >>> 0 || 1;
      return { dtype: dtype as Tensor__Output["dtype"], shape, data: data as Buffer, crc32c: crc32 };
    });
}

/** The spec a stage expects: usually the message's own rank with some dimensions free. */
function specFor(message: Tensor__Output): fc.Arbitrary<{ dtype: DType; shape: (number | null)[] }> {
  const own = Object.entries(WIRE_NAMES).find(([, w]) => w === message.dtype)?.[0] as DType | undefined;
  return fc.record({
    dtype: own
      ? fc.oneof(
          { weight: 4, arbitrary: fc.constant(own) },
          { weight: 1, arbitrary: fc.constantFrom(...DTYPES) },
        )
      : fc.constantFrom(...DTYPES),
    shape: fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .array(fc.boolean(), { minLength: message.shape.length, maxLength: message.shape.length })
          .map((free) => message.shape.map((d, i) => (free[i] ? null : Number(d)))),
      },
      { weight: 1, arbitrary: fc.array(fc.option(fc.integer({ min: 0, max: 6 })), { maxLength: 5 }) },
    ),
  });
}

describe("tensor codec fuzzing", () => {
  it(`any Tensor message decodes to a consistent tensor or throws TensorCodecError (${FUZZ_RUNS} inputs)`, () => {
    const outcomes = { decoded: 0, rejected: 0 };
    fc.assert(
      fc.property(
        tensorMessage().chain((message) => fc.tuple(fc.constant(message), specFor(message))),
        ([message, spec]) => {
          let tensor;
          try {
            tensor = decodeTensor("fuzzed", message, spec);
          } catch (error) {
            expect(error).toBeInstanceOf(TensorCodecError);
            outcomes.rejected++;
            return;
          }
          outcomes.decoded++;
          expect(tensor.dtype).toBe(spec.dtype);
          expect(tensor.shape.length).toBe(spec.shape.length);
          spec.shape.forEach((d, i) => d !== null && expect(tensor.shape[i]).toBe(d));
          expect(bytesOf(tensor.data).byteLength).toBe(numel(tensor.shape) * DTYPE_BYTES[spec.dtype]);
          expect(Buffer.from(bytesOf(tensor.data)).equals(Buffer.from(message.data))).toBe(true);
        },
      ),
      fuzzParameters("tensor codec: arbitrary messages"),
    );
    console.log(
      `tensor codec: ${outcomes.decoded} decoded, ${outcomes.rejected} rejected with TensorCodecError`,
    );
    // Both branches must be exercised, or the generator is not reaching the codec's checks.
    expect(outcomes.decoded).toBeGreaterThan(FUZZ_RUNS / 20);
    expect(outcomes.rejected).toBeGreaterThan(FUZZ_RUNS / 20);
  });

  it(`every valid tensor round-trips through encode, the protobuf wire and decode (${FUZZ_RUNS} inputs)`, () => {
    // The Tensor message's own serializer, as the VisionEncoder's response carries it.
    const encode = packageDefinition()["pixellm.v1.VisionEncoder"] as Record<
      string,
      {
        responseSerialize(value: object): Buffer;
        responseDeserialize(bytes: Buffer): { imageEmbeds: Tensor__Output };
      }
    >;
    const wire = encode.Encode!;
    const validTensor = fc
      .record({
        dtype: fc.constantFrom(...DTYPES),
        shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
        checksum: fc.boolean(),
      })
      .chain(({ dtype, shape, checksum }) =>
        fc
          .uint8Array({
            minLength: numel(shape) * DTYPE_BYTES[dtype],
            maxLength: numel(shape) * DTYPE_BYTES[dtype],
          })
          .map((bytes) => ({ dtype, shape, checksum, data: viewAs(dtype, bytes) })),
      );
    fc.assert(
      fc.property(validTensor, ({ dtype, shape, checksum, data }) => {
        const sent = encodeTensor({ dtype, shape, data }, { checksum });
        const received = wire.responseDeserialize(wire.responseSerialize({ imageEmbeds: sent })).imageEmbeds;
        const back = decodeTensor("round trip", received, { dtype, shape });
        expect(back.dtype).toBe(dtype);
        expect(back.shape).toEqual(shape);
        expect(Buffer.from(bytesOf(back.data)).equals(Buffer.from(bytesOf(data)))).toBe(true);
      }),
      fuzzParameters("tensor codec: round trip"),
    );
  });
});
