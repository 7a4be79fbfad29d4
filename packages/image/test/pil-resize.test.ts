import { uniformStream } from "@pixellm/tensor";
import { describe, expect, it } from "vitest";
import { resizeBilinearPil } from "../src";
import { fromBase64, runPython, toBase64 } from "./support/python";
import { randomBytes, randomInt } from "./support/random";

/** A one-row image whose three channels all hold `values`. */
function greyRow(values: number[]): Uint8Array {
  return Uint8Array.from(values.flatMap((v) => [v, v, v]));
}

function firstChannel(rgb: Uint8Array): number[] {
  return [...rgb].filter((_, i) => i % 3 === 0);
}

describe("resizeBilinearPil, hand-computed (exact uint8)", () => {
  it("4 -> 2 is antialiased: taps 3/7, 3/7, 1/7 rather than plain pair averages", () => {
    // out0 = (0*3 + 100*3 + 200) / 7 = 71.4; out1 = (100 + 200*3 + 255*3) / 7 = 209.3
    expect(firstChannel(resizeBilinearPil(greyRow([0, 100, 200, 255]), 4, 1, 2, 1))).toEqual([71, 209]);
  });

  it("3 -> 2 uses weights 0.625/0.375 and 0.375/0.625", () => {
    // 13.75 -> 14, 163.75 -> 164
    expect(firstChannel(resizeBilinearPil(greyRow([10, 20, 250]), 3, 1, 2, 1))).toEqual([14, 164]);
  });

  it("2 -> 5 up-scaling follows PIL's 22-bit fixed point, not exact rounding", () => {
    // ideal 0, 25.5, 127.5, 229.5, 255; 0.1 quantises to 419430/2^22, so 25.5 lands on 25
    expect(firstChannel(resizeBilinearPil(greyRow([0, 255]), 2, 1, 5, 1))).toEqual([0, 25, 128, 230, 255]);
  });

  it("rounds to uint8 between the horizontal and the vertical pass", () => {
    // rows -> 15.5 => 16 and 35; then (16 + 35) / 2 = 25.5 => 26 (a single 2-D pass would give 25.25 => 25)
    const rgb = Uint8Array.from([10, 21, 30, 40].flatMap((v) => [v, v, v]));
    expect(firstChannel(resizeBilinearPil(rgb, 2, 2, 1, 1))).toEqual([26]);
  });

  it("keeps the channels apart", () => {
    // B: (10*3 + 20*3 + 250) / 7 = 48.6 and (20 + 250*3 + 0) / 7 = 110
    const rgb = Uint8Array.from([0, 255, 10, 100, 255, 20, 200, 255, 250, 255, 255, 0]);
    expect([...resizeBilinearPil(rgb, 4, 1, 2, 1)]).toEqual([71, 255, 49, 209, 255, 110]);
  });

  it("resizes a single column 1 x 3 -> 1 x 2 along the vertical pass only", () => {
    expect(firstChannel(resizeBilinearPil(greyRow([10, 20, 250]), 1, 3, 1, 2))).toEqual([14, 164]);
  });

  it("returns an equal copy when the size does not change", () => {
    const rgb = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const out = resizeBilinearPil(rgb, 2, 1, 2, 1);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out).not.toBe(rgb);
  });

  it("rejects sizes and buffers that do not match", () => {
    expect(() => resizeBilinearPil(new Uint8Array(5), 2, 1, 1, 1)).toThrow(/needs 6 bytes/);
    expect(() => resizeBilinearPil(new Uint8Array(6), 2, 1, 0, 1)).toThrow(/outW must be >= 1/);
  });
});

const PIL_RESIZE = `
import sys, json, base64
from PIL import Image
assert Image.__version__ == "9.4.0", Image.__version__
out = []
for job in json.load(sys.stdin):
    im = Image.frombytes("RGB", (job["w"], job["h"]), base64.b64decode(job["data"]))
    # torchvision resize(to_pil_image(img), (h, w)) == img.resize((w, h), BILINEAR)
    out.append(base64.b64encode(im.resize((job["ow"], job["oh"]), Image.BILINEAR).tobytes()).decode())
json.dump(out, sys.stdout)
`;

interface Job {
  w: number;
  h: number;
  ow: number;
  oh: number;
  data: Uint8Array;
}

describe("resizeBilinearPil vs live PIL 9.4", () => {
  it("matches Image.resize(BILINEAR) bit for bit on random images of assorted sizes", () => {
    const random = uniformStream(20240611);
    const sizes: [number, number, number, number][] = [
      [1, 37, 12, 448], // extreme aspect ratio, ResizeLongestSide(448) of 37x1
      [37, 1, 448, 12],
      [2000, 3, 448, 1],
      [3, 1999, 1, 448],
      [1001, 751, 448, 336], // odd-sized photo down to 448
      [333, 1111, 134, 448],
      [17, 13, 448, 342], // up-scaling small images
      [5, 3, 7, 2],
      [1, 1, 3, 5],
      [7, 1, 3, 1],
    ];
    for (let i = 0; i < 60; i++) {
      sizes.push([
        randomInt(1, 97, random),
        randomInt(1, 97, random),
        randomInt(1, 97, random),
        randomInt(1, 97, random),
      ]);
    }
    const jobs: Job[] = sizes.map(([w, h, ow, oh]) => ({
      w,
      h,
      ow,
      oh,
      data: randomBytes(w * h * 3, random),
    }));
    const reference = runPython(
      PIL_RESIZE,
      jobs.map((j) => ({ ...j, data: toBase64(j.data) })),
    ) as string[];
    let mismatched = 0;
    jobs.forEach((job, i) => {
      const ours = resizeBilinearPil(job.data, job.w, job.h, job.ow, job.oh);
      const theirs = fromBase64(reference[i]!);
      if (!Buffer.from(ours).equals(Buffer.from(theirs))) {
        mismatched++;
        console.error(`mismatch for ${job.w}x${job.h} -> ${job.ow}x${job.oh}`);
      }
    });
    expect(mismatched).toBe(0); // exact uint8 equality, no tolerance
  });
});
