import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { maskToPng, overlayMask, overlayPng } from "../src";

describe("mask PNGs", () => {
  it("writes a 0/255 greyscale PNG of the mask's size", async () => {
    const png = await maskToPng(Uint8Array.from([0, 1, 1, 0, 0, 2]), 2, 3);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.channels, meta.space, meta.bitsPerSample]).toEqual([
      3,
      2,
      1,
      "b-w",
      8,
    ]);
    const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect([...data]).toEqual([0, 255, 255, 0, 0, 255]);
  });

  it("blends mask pixels half-way to red and truncates like numpy's uint8 assignment", () => {
    const image = {
      width: 2,
      height: 2,
      data: Uint8Array.from([0, 255, 1, 1, 3, 200, 255, 0, 9, 10, 20, 30]),
    };
    const out = overlayMask(image, Uint8Array.from([1, 1, 1, 0]));
    // R: 0*0.5+127.5 -> 127, 1 -> 128, 255 -> 255; G: 255 -> 127, 3 -> 1; B: 1 -> 0, 200 -> 100, 9 -> 4
    expect([...out.data]).toEqual([127, 127, 0, 128, 1, 100, 255, 0, 4, 10, 20, 30]);
    expect([...image.data.subarray(0, 3)]).toEqual([0, 255, 1]); // input untouched
  });

  it("encodes the overlay as an RGB PNG", async () => {
    const image = { width: 2, height: 1, data: Uint8Array.from([100, 100, 100, 50, 60, 70]) };
    const png = await overlayPng(image, Uint8Array.from([0, 1]));
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([2, 1, 3]);
    expect([...data]).toEqual([100, 100, 100, 152, 30, 35]);
  });

  it("rejects a mask of the wrong size", async () => {
    await expect(maskToPng(new Uint8Array(5), 2, 3)).rejects.toThrow(/needs 6 bytes/);
    expect(() => overlayMask({ width: 1, height: 1, data: new Uint8Array(3) }, new Uint8Array(2))).toThrow(
      /needs 1 bytes/,
    );
  });
});
