import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decodeRle, encodeCocoRle, polygonToRle } from "@pixellm/image";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MuseFormatError, loadMuseFile, parseRecords, resolveImagePath, targetMask } from "../src";

/** A valid record: a 4x6 image, two questions (two targets, then one). */
function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const square = {
    category_id: 1,
    category_name: "box",
    bbox: [1, 1, 2, 2],
    segmentation: [[1, 1, 3, 1, 3, 3, 1, 3]],
  };
  const rle = { category_id: 2, category_name: "ball", segmentation: { size: [4, 6], counts: [20, 4] } };
  return {
    file_name: "scene.png",
    height: 4,
    width: 6,
    ann_list: [square, rle],
    questions: ["What is square?", "What rolls?"],
    answers: [[square, rle], [rle]],
    text_answers: ["{seg} and {seg}.", "It is {seg}."],
    ...overrides,
  };
}

const parseError = (json: unknown) => {
  try {
    parseRecords(json);
  } catch (error) {
    expect(error).toBeInstanceOf(MuseFormatError);
    return (error as Error).message;
  }
  throw new Error("expected a MuseFormatError");
};

describe("parseRecords", () => {
  it("reads questions, targets and masks as the official loader does", () => {
    const [parsed] = parseRecords([record()]);
    expect(parsed).toMatchObject({ index: 0, imageName: "scene.png", height: 4, width: 6 });
    expect(parsed!.questions.map((q) => [q.text, q.targets.length, q.textAnswer])).toEqual([
      ["What is square?", 2, "{seg} and {seg}."],
      ["What rolls?", 1, "It is {seg}."],
    ]);
    const [square, ball] = parsed!.questions[0]!.targets;
    expect(square!.name).toBe("box");
    expect(targetMask(square!.segmentation, 4, 6)).toEqual(
      decodeRle(polygonToRle([1, 1, 3, 1, 3, 3, 1, 3], 4, 6)),
    );
    // Column-major runs: 20 zeros (5 columns of 4), then the last column.
    const expected = new Uint8Array(24);
    for (let y = 0; y < 4; y++) expected[y * 6 + 5] = 1;
    expect(targetMask(ball!.segmentation, 4, 6)).toEqual(expected);
  });

  it("sums polygon parts per pixel, so overlapping parts give 2", () => {
    const [parsed] = parseRecords([
      record({
        questions: ["q"],
        text_answers: undefined,
        answers: [
          [
            {
              segmentation: [
                [0, 0, 4, 0, 4, 4, 0, 4],
                [2, 0, 6, 0, 6, 4, 2, 4],
              ],
            },
          ],
        ],
      }),
    ]);
    const mask = targetMask(parsed!.questions[0]!.targets[0]!.segmentation, 4, 6);
    expect(Array.from(mask.subarray(0, 6))).toEqual([1, 1, 2, 2, 1, 1]);
  });

  it("accepts compressed COCO RLE strings (extension) and lists of RLE parts", () => {
    const bits = new Uint8Array(24).fill(1, 6, 12);
    const compressed = encodeCocoRle(bits, 4, 6);
    const [parsed] = parseRecords([
      record({
        questions: ["q"],
        text_answers: undefined,
        answers: [[{ segmentation: compressed }, { segmentation: [compressed, compressed] }]],
      }),
    ]);
    const [one, two] = parsed!.questions[0]!.targets;
    expect(targetMask(one!.segmentation, 4, 6)).toEqual(bits);
    expect(targetMask(two!.segmentation, 4, 6)).toEqual(bits.map((b) => 2 * b));
  });

  it("keeps question_families (our synthetic data's extension) for breakdowns", () => {
    const [parsed] = parseRecords([record({ question_families: ["colour", "kind"] })]);
    expect(parsed!.questions.map((q) => q.family)).toEqual(["colour", "kind"]);
    expect(parseRecords([record()])[0]!.questions[0]!.family).toBeUndefined();
  });

  it("takes the image name from coco_url when there is no file_name", () => {
    const [parsed] = parseRecords([
      record({ file_name: undefined, coco_url: "http://images.cocodataset.org/train2017/000000000009.jpg" }),
    ]);
    expect(parsed).toMatchObject({
      imageName: "000000000009.jpg",
      officialImageDir: "refer_seg/images/mscoco/images/train2017",
    });
  });

  it("names the record and question when {seg} placeholders do not match the targets", () => {
    expect(parseError([record(), record({ text_answers: ["{seg}.", "It is {seg}."] })])).toBe(
      "record 1 (scene.png), text_answers[0]: has 1 {seg} placeholder(s) but question 0 has 2 target(s) in answers[0]; each target needs exactly one {seg}",
    );
  });

  it.each([
    ["not a list", { records: [] }, /expected a JSON list of image records, got an object/],
    [
      "a record without an image",
      [record({ file_name: undefined })],
      /record 0: needs file_name or coco_url/,
    ],
    [
      "a bad height",
      [record({ height: 0 })],
      /record 0 \(scene.png\), height: expected a positive integer, got number 0/,
    ],
    [
      "answers not aligned with questions",
      [record({ answers: [[]] })],
      /answers: expected a list of 2 target lists \(one per question\), got a list of 1/,
    ],
    [
      "a missing segmentation",
      [record({ answers: [[{}], []] })],
      /answers\[0\]\[0\]\.segmentation: expected a list of COCO polygons/,
    ],
    ["a 4-number polygon", [record({ answers: [[{ segmentation: [[1, 2, 3, 4]] }], []] })], /reads as a box/],
    [
      "an odd polygon",
      [record({ answers: [[{ segmentation: [[1, 2, 3, 4, 5, 6, 7]] }], []] })],
      /at least 3 points, got 7 numbers/,
    ],
    [
      "an RLE of another size",
      [record({ answers: [[{ segmentation: { size: [6, 4], counts: [24] } }], []] })],
      /the mask is 6x4 \(height x width\) but the record's image is 4x6/,
    ],
    [
      "RLE counts that do not cover the image",
      [record({ answers: [[{ segmentation: { size: [4, 6], counts: [5, 3] } }], []] })],
      /counts sum to 8, but a 4x6 mask has 24 pixels/,
    ],
    [
      "a corrupt compressed RLE",
      [record({ answers: [[{ segmentation: { size: [4, 6], counts: "~~" } }], []] })],
      /segmentation\.counts: RLE string has a character outside/,
    ],
    ["an empty question", [record({ questions: ["", "x"] })], /questions\[0\]: expected a question string/],
    [
      "families not aligned with questions",
      [record({ question_families: ["colour"] })],
      /question_families: expected a list of 2 strings \(one per question\), got a list of 1/,
    ],
  ])("rejects %s with a message naming the field", (_, json, message) => {
    expect(parseError(json)).toMatch(message);
  });
});

describe("loadMuseFile and image paths", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "pixellm-muse-load-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports broken JSON with V8's excerpt, and a missing file by path", async () => {
    const file = path.join(dir, "broken.json");
    await writeFile(file, '[\n  {"questions": [}\n]');
    await expect(loadMuseFile(file)).rejects.toThrow(/broken\.json is not valid JSON: Unexpected token '}'/);
    await expect(loadMuseFile(path.join(dir, "absent.json"))).rejects.toThrow(
      /cannot read the MUSE file .*absent\.json: ENOENT/,
    );
  });

  it("prefixes record errors with the file", async () => {
    const file = path.join(dir, "bad.json");
    await writeFile(file, JSON.stringify([record({ width: "wide" })]));
    await expect(loadMuseFile(file)).rejects.toThrow(
      `${file}: record 0 (scene.png), width: expected a positive integer, got the string "wide"`,
    );
  });

  it("finds images in a flat directory or under the official layout, and says where it looked", async () => {
    const file = path.join(dir, "muse.json");
    await writeFile(
      file,
      JSON.stringify([
        record(),
        record({ file_name: undefined, coco_url: "http://x/val2017/000000000139.jpg" }),
        record({ file_name: "gone.png" }),
      ]),
    );
    const [flat, official, missing] = await loadMuseFile(file);
    await writeFile(path.join(dir, "scene.png"), "");
    const officialDir = path.join(dir, "refer_seg/images/mscoco/images/val2017");
    await mkdir(officialDir, { recursive: true });
    await writeFile(path.join(officialDir, "000000000139.jpg"), "");
    expect(await resolveImagePath(flat!, dir)).toBe(path.join(dir, "scene.png"));
    expect(await resolveImagePath(official!, dir)).toBe(path.join(officialDir, "000000000139.jpg"));
    await expect(resolveImagePath(missing!, dir)).rejects.toThrow(
      `record 2: image gone.png not found; looked for ${path.join(dir, "gone.png")} and ${path.join(dir, "refer_seg/images/mscoco/images/train2014/gone.png")}`,
    );
  });
});
