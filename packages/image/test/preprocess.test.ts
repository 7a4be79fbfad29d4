import { uniformStream } from "@pixellm/tensor";
import { describe, expect, it } from "vitest";
import { ImageInputError, checkResizable, longestSideShape, preprocessForClip } from "../src";
import { fromBase64, runPython, toBase64 } from "./support/python";
import { randomBytes, randomInt } from "./support/random";

const SHAPES = `
import sys, json
def get_preprocess_shape(oldh, oldw, long_side_length):  # segment_anything ResizeLongestSide
    scale = long_side_length * 1.0 / max(oldh, oldw)
    newh, neww = oldh * scale, oldw * scale
    return (int(newh + 0.5), int(neww + 0.5))
json.dump([get_preprocess_shape(h, w, n) for h, w, n in json.load(sys.stdin)], sys.stdout)
`;

const CHAT_PY_CLIP = `
import sys, json, base64
import numpy as np
from PIL import Image
mean = np.array([123.675, 116.28, 103.53], dtype=np.float32)[:, None, None]
std = np.array([58.395, 57.12, 57.375], dtype=np.float32)[:, None, None]
out = []
for job in json.load(sys.stdin):
    h, w = job["h"], job["w"]
    scale = 448 * 1.0 / max(h, w)
    nh, nw = int(h * scale + 0.5), int(w * scale + 0.5)
    img = Image.frombytes("RGB", (w, h), base64.b64decode(job["data"])).resize((nw, nh), Image.BILINEAR)
    x = np.asarray(img).transpose(2, 0, 1).astype(np.float32)
    x = (x - mean) / std  # chat.py preprocess, in float32 as torch does
    padded = np.zeros((3, 448, 448), dtype=np.float32)
    padded[:, :nh, :nw] = x
    out.append({"resized": [nh, nw], "pixels": base64.b64encode(padded.tobytes()).decode()})
json.dump(out, sys.stdout)
`;

describe("longestSideShape", () => {
  it("matches get_preprocess_shape's int(x * scale + 0.5) on 3000 random sizes and edge cases", () => {
    const random = uniformStream(7);
    const cases: [number, number, number][] = [
      [1, 2000, 448],
      [2, 1793, 448],
      [3, 1000, 448],
      [480, 640, 448],
      [1080, 1920, 448],
      [448, 448, 448],
      [100, 300, 448],
      [7, 300, 1024],
    ];
    for (let i = 0; i < 3000; i++) {
      cases.push([randomInt(1, 8000, random), randomInt(1, 8000, random), random() < 0.8 ? 448 : 1024]);
    }
    const reference = runPython(SHAPES, cases) as [number, number][];
    const ours = cases.map(([h, w, n]) => longestSideShape(h, w, n));
    expect(ours).toEqual(reference);
  });

  it("gives the hand-computed sizes", () => {
    expect(longestSideShape(480, 640)).toEqual([336, 448]);
    expect(longestSideShape(300, 7)).toEqual([448, 10]); // 7 * 1.4933 = 10.45 -> 10
    expect(longestSideShape(1, 2000)).toEqual([0, 448]); // 0.224 + 0.5 -> 0
    expect(longestSideShape(3, 1000)).toEqual([1, 448]); // 1.344 + 0.5 -> 1
  });

  it("rejects a shape whose shorter side rounds to 0, naming the minimum", () => {
    expect(() => checkResizable(1, 2000)).toThrow(ImageInputError);
    expect(() => checkResizable(1, 2000)).toThrow(/at least 3 pixels/);
    expect(checkResizable(3, 2000)).toEqual([1, 448]);
  });
});

describe("preprocessForClip", () => {
  it("normalises with the SAM constants in 0-255 units and zero-pads bottom/right (hand-computed)", () => {
    // 1 x 2 (w x h) -> [448, 224]; a vertical 2 -> 448 stretch of a constant column stays constant
    const image = { width: 1, height: 2, data: Uint8Array.from([200, 100, 0, 200, 100, 0]) };
    const { pixelValues, resized, original } = preprocessForClip(image);
    expect(resized).toEqual([448, 224]);
    expect(original).toEqual([2, 1]);
    expect(pixelValues.shape).toEqual([3, 448, 448]);
    const at = (c: number, y: number, x: number) => pixelValues.data[(c * 448 + y) * 448 + x]!;
    // float32 (200 - 123.675) / 58.395 etc.; exact float32 results
    expect(at(0, 0, 0)).toBe(Math.fround(Math.fround(200 - Math.fround(123.675)) / Math.fround(58.395)));
    expect(at(0, 447, 223)).toBeCloseTo(1.30704684, 6); // tolerance 1e-6
    expect(at(1, 100, 100)).toBeCloseTo(-0.28501401, 6);
    expect(at(2, 5, 5)).toBeCloseTo(-1.80444444, 6);
    expect(at(0, 0, 224)).toBe(0); // padding is 0 after normalisation, not -mean/std
    expect(at(2, 447, 447)).toBe(0);
  });

  it("is bit-identical to chat.py's PIL resize + float32 normalise + pad, on random images", () => {
    const random = uniformStream(99);
    const sizes: [number, number][] = [
      [37, 1],
      [3, 1000],
      [481, 641],
      [448, 448],
      [97, 13],
      [13, 97],
      [600, 599],
    ];
    const jobs = sizes.map(([h, w]) => ({ h, w, data: randomBytes(h * w * 3, random) }));
    const reference = runPython(
      CHAT_PY_CLIP,
      jobs.map((j) => ({ ...j, data: toBase64(j.data) })),
    ) as { resized: [number, number]; pixels: string }[];
    jobs.forEach((job, i) => {
      const ours = preprocessForClip({ width: job.w, height: job.h, data: job.data });
      const theirs = reference[i]!;
      expect(ours.resized).toEqual(theirs.resized);
      const ourBytes = new Uint8Array(ours.pixelValues.data.buffer);
      expect(Buffer.from(ourBytes).equals(Buffer.from(fromBase64(theirs.pixels)))).toBe(true); // exact float32
    });
  });

  it("refuses a 1 x 2000 image with IMAGE_TOO_THIN", () => {
    const image = { width: 2000, height: 1, data: new Uint8Array(6000) };
    expect(() => preprocessForClip(image)).toThrow(expect.objectContaining({ code: "IMAGE_TOO_THIN" }));
  });
});
