import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decodeRle, decodeImage, polygonToRle } from "@pixellm/image";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COLOUR_NAMES, SHAPE_INFO, SHAPE_KINDS, type MuseRecord, makeExample, writeDataset } from "../src";

const examples = await Promise.all(Array.from({ length: 24 }, (_, i) => makeExample(3, "val", i, 8)));

function annotationMask(segmentation: MuseRecord["ann_list"][number]["segmentation"], h: number, w: number) {
  if (Array.isArray(segmentation)) return decodeRle(polygonToRle(segmentation[0]!, h, w));
  return decodeRle({ size: segmentation.size, counts: segmentation.counts });
}

describe("synthetic MUSE examples", () => {
  it("are the same for the same (seed, split, index) and differ otherwise", async () => {
    const again = await makeExample(3, "val", 5, 8);
    expect(again.record).toEqual(examples[5]!.record);
    expect(createHash("sha256").update(again.png).digest("hex")).toBe(
      createHash("sha256").update(examples[5]!.png).digest("hex"),
    );
    const other = await makeExample(3, "train", 5, 8);
    expect(other.record.ann_list).not.toEqual(examples[5]!.record.ann_list);
  });

  it("come in landscape, portrait and square sizes within 400-800 px", () => {
    const shapes = new Set(
      examples.map(({ record: r }) =>
        r.width > r.height ? "landscape" : r.width < r.height ? "portrait" : "square",
      ),
    );
    expect(shapes.has("landscape") && shapes.has("portrait")).toBe(true);
    for (const { record: r } of examples) {
      expect(Math.max(r.width, r.height)).toBeGreaterThanOrEqual(400);
      expect(Math.max(r.width, r.height)).toBeLessThanOrEqual(800);
    }
  });

  it("ask questions with 1-4 targets and one {seg} per target, naming each target", () => {
    let questions = 0;
    for (const { record: r } of examples) {
      expect(r.questions.length).toBeGreaterThan(0);
      expect(r.answers).toHaveLength(r.questions.length);
      expect(r.text_answers).toHaveLength(r.questions.length);
      r.answers.forEach((targets, q) => {
        questions++;
        expect(targets.length).toBeGreaterThanOrEqual(1);
        expect(targets.length).toBeLessThanOrEqual(4);
        const answer = r.text_answers[q]!;
        expect(answer.split("{seg}").length - 1).toBe(targets.length);
        for (const t of targets) expect(answer).toContain(`the ${t.rephrased_name} {seg}`);
      });
    }
    expect(questions).toBeGreaterThan(100);
  });

  it("answer colour and kind questions with exactly the objects of that colour or kind", () => {
    let checked = 0;
    for (const { record: r } of examples) {
      r.questions.forEach((text, q) => {
        const targets = new Set(r.answers[q]!.map((a) => a.id));
        const colour = /^(?:Segment everything|Which shapes are|Find all the|Please segment all) (\w+)/.exec(
          text,
        )?.[1];
        const kind = SHAPE_KINDS.find((k) =>
          new RegExp(`(all the|are the|segment the) ${SHAPE_INFO[k].plural}`).test(text),
        );
        if (colour && (COLOUR_NAMES as string[]).includes(colour)) {
          const expected = r.ann_list
            .filter((a) => a.rephrased_name.startsWith(`${colour} `))
            .map((a) => a.id);
          expect([...targets].sort()).toEqual(expected.sort());
          checked++;
        } else if (kind) {
          const expected = r.ann_list.filter((a) => a.category_name === kind).map((a) => a.id);
          expect([...targets].sort()).toEqual(expected.sort());
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("store whole shapes as polygons and covered ones as RLE, with disjoint masks matching area and bbox", () => {
    let polygons = 0;
    let rles = 0;
    for (const { record: r } of examples) {
      const union = new Uint8Array(r.width * r.height);
      let collisions = 0;
      for (const ann of r.ann_list) {
        if (Array.isArray(ann.segmentation)) polygons++;
        else rles++;
        const mask = annotationMask(ann.segmentation, r.height, r.width);
        let area = 0;
        let [x0, y0, x1, y1] = [r.width, r.height, -1, -1];
        mask.forEach((v, p) => {
          if (!v) return;
          area++;
          collisions += union[p]!;
          union[p] = 1;
          const [x, y] = [p % r.width, Math.floor(p / r.width)];
          [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
        });
        expect(area).toBe(ann.area);
        expect(ann.bbox).toEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
      }
      expect(collisions, `pixels of ${r.file_name} claimed by two shapes`).toBe(0);
    }
    expect(polygons).toBeGreaterThan(0);
    expect(rles).toBeGreaterThan(0);
  });

  it("draw each object where its mask says, in its colour", async () => {
    // Inside a mask, away from its edge, the rendered pixels are the object's shade (within the
    // noise texture and shading); this catches any flip or offset between image and ground truth.
    for (const { record: r, png } of examples.slice(0, 8)) {
      const image = await decodeImage(png);
      expect([image.width, image.height]).toEqual([r.width, r.height]);
      for (const ann of r.ann_list) {
        const mask = annotationMask(ann.segmentation, r.height, r.width);
        const inner = (p: number) =>
          mask[p] && mask[p - 3] && mask[p + 3] && mask[p - 3 * r.width] && mask[p + 3 * r.width];
        const pixels: number[][] = [];
        mask.forEach((_, p) => {
          if (inner(p)) pixels.push([...image.data.subarray(3 * p, 3 * p + 3)]);
        });
        expect(pixels.length).toBeGreaterThan(20);
        const mean = [0, 1, 2].map((c) => pixels.reduce((s, px) => s + px[c]!, 0) / pixels.length);
        const spread = Math.max(
          ...pixels.map((px) => Math.hypot(px[0]! - mean[0]!, px[1]! - mean[1]!, px[2]! - mean[2]!)),
        );
        expect(spread, `${ann.rephrased_name} in ${r.file_name}`).toBeLessThan(90);
      }
    }
  });
});

describe("writeDataset", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "synth-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes one JSON file per split and one PNG per record", async () => {
    const summaries = await writeDataset({
      outDir: dir,
      seed: 1,
      images: { train: 3, val: 2, test: 0 },
      questionsPerImage: 4,
    });
    expect(summaries.map((s) => [s.split, s.images])).toEqual([
      ["train", 3],
      ["val", 2],
    ]);
    const val = JSON.parse(await readFile(path.join(dir, "muse_val.json"), "utf8")) as MuseRecord[];
    expect(val).toHaveLength(2);
    for (const record of val) {
      const png = await readFile(path.join(dir, "images", "val", record.file_name));
      expect(png.subarray(1, 4).toString()).toBe("PNG");
    }
    expect(val[1]).toEqual((await makeExample(1, "val", 1, 4)).record);
  });
});
