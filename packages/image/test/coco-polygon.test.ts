import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeRle, polygonToRle, rleArea } from "../src";

interface PolygonCase {
  readonly name: string;
  readonly height: number;
  readonly width: number;
  readonly polygon: number[];
  readonly counts: number[];
}

// Expected runs come from pycocotools' own C rasteriser (see the fixture's "source").
const fixture = JSON.parse(readFileSync(new URL("fixtures/coco-polygons.json", import.meta.url), "utf8")) as {
  cases: PolygonCase[];
};

describe("polygonToRle", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("matches pycocotools: %s", (_, c) => {
    expect(polygonToRle(c.polygon, c.height, c.width)).toEqual({
      size: [c.height, c.width],
      counts: c.counts,
    });
  });

  it("fills pixels whose centres lie inside an axis-aligned rectangle", () => {
    // Corners on pixel edges: columns 2..5 and rows 1..3 have their centres inside.
    const mask = decodeRle(polygonToRle([2, 1, 6, 1, 6, 4, 2, 4], 6, 8));
    const inside = (y: number, x: number) => x >= 2 && x <= 5 && y >= 1 && y <= 3;
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 8; x++) expect(mask[y * 8 + x], `pixel ${y},${x}`).toBe(inside(y, x) ? 1 : 0);
    }
  });

  it("is empty for a polygon entirely outside the image", () => {
    expect(rleArea(polygonToRle([-9, -9, -5, -9, -5, -5], 4, 4))).toBe(0);
  });

  it("rejects lists that are not polygons", () => {
    expect(() => polygonToRle([1, 2, 3, 4], 5, 5)).toThrow(/at least 3 points/);
    expect(() => polygonToRle([1, 2, 3, 4, 5], 5, 5)).toThrow(/x,y pairs/);
    expect(() => polygonToRle([1, 2, 3, Number.NaN, 5, 6], 5, 5)).toThrow(/finite/);
  });
});
