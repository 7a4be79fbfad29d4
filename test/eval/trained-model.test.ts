/**
 * The trained demo model (models/pixellm-demo) served end to end: `pixellm serve` (gateway, queue
 * and the three stages) answers through the public gRPC API, and its masks, after preprocessing,
 * padding, the crop, the resize to the original size and the RLE, land on the objects. Random
 * weights cannot catch a flipped axis or a wrong crop; a trained model does.
 *
 * - examples/shapes.png (640×427) with its annotation examples/shapes.json: the README demo's
 *   questions. The red ball is held to the figure (IoU ≥ 0.85; measured 0.96). Of "the
 *   ball and the triangle" the model finds the ball (0.96) and answers "the blue triangle",
 *   masking the blue rectangle: the orange triangle is missed (scripts/train/README.md: what the
 *   model gets right and wrong); the test holds what it does: two masks, one on the ball.
 * - Held-out synthetic scenes (the test split of seed 0: never trained on, never tuned on), the
 *   first two portrait and the first two landscape ones, every question asked as a user asks it,
 *   matched and scored as `pixellm eval` does (@pixellm/muse).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { PixelLMClient } from "@pixellm/client";
import { decodeRle, rleCountsFromString } from "@pixellm/image";
import { exportBundle } from "@pixellm/model";
import { type MuseQuestion, type MuseRecord, parseRecords, scoreQuestion, targetMask } from "@pixellm/muse";
import { makeExample } from "@pixellm/synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MODEL_DIR } from "../../packages/cli/src/default-bundle";
import { DEMO_QUERIES } from "../../packages/cli/src/commands/serve";
import { type EmbeddedServer, startEmbeddedServer } from "../support/embedded-server";
import { tempDir } from "../support/tiny-bundle";

const EXAMPLES = path.join(import.meta.dirname, "../../examples");
/** Held-out scenes per orientation. */
const SCENES_PER_ORIENTATION = 2;
/**
 * The least mean IoU over every target of the held-out scenes' questions (unmatched targets and
 * extra masks count as 0, as in the metric). The shipped model measured 0.525 here (scenes 0.41 to
 * 0.63; its val-split gIoU is 0.467); the random tiny model's val gIoU is 0.028, and a flipped
 * axis or a wrong crop puts masks off their objects.
 */
const SCENES_MEAN_IOU = 0.4;

let server: EmbeddedServer;
let client: PixelLMClient;

beforeAll(async () => {
  const dir = await tempDir("demo-bundle");
  await exportBundle({
    checkpointDir: path.join(DEMO_MODEL_DIR, "checkpoint"),
    visionTowerDir: path.join(DEMO_MODEL_DIR, "vision-tower"),
    outDir: dir,
    dtype: "float32",
    name: "pixellm-demo",
  });
  server = await startEmbeddedServer(dir);
  client = new PixelLMClient(server.address);
}, 240_000);

afterAll(async () => {
  client?.close();
  await server?.stop();
});

/** The answer's masks, decoded at the image's size (0/1 per pixel), in answer order. */
async function askMasks(image: Uint8Array, query: string): Promise<{ text: string; masks: Uint8Array[] }> {
  const response = await client.segment({ image, query }, { timeoutMs: 120_000 });
  const masks = [...response.targets]
    .sort((a, b) => a.index - b.index)
    .map((t) => {
      const [h = 0, w = 0] = t.mask?.size ?? [];
      return decodeRle({ size: [h, w], counts: rleCountsFromString(t.mask?.counts ?? "") });
    });
  return { text: response.text, masks };
}

function truth(record: MuseRecord, question: MuseQuestion): Uint8Array[] {
  return question.targets.map((t) => targetMask(t.segmentation, record.height, record.width));
}

describe("the trained demo model through the gateway", () => {
  it("segments the red ball of examples/shapes.png (IoU ≥ 0.85), and the ball of the two-target question", async () => {
    const [record] = parseRecords(JSON.parse(await readFile(path.join(EXAMPLES, "shapes.json"), "utf8")));
    const image = await readFile(path.join(EXAMPLES, "shapes.png"));
    const pixels = record!.height * record!.width;
    const ask = async (query: string) => {
      const question = record!.questions.find((q) => q.text === query)!;
      const answer = await askMasks(image, query);
      return { ...answer, targets: truth(record!, question) };
    };
    const [ballOnly, ballAndTriangle] = DEMO_QUERIES;
    const one = await ask(ballOnly!);
    expect(one.masks.length, one.text).toBe(1);
    expect(scoreQuestion(one.masks, one.targets, pixels).pairs[0]!.iou, one.text).toBeGreaterThanOrEqual(
      0.85,
    );

    const two = await ask(ballAndTriangle!);
    expect(two.masks.length, two.text).toBe(2);
    const ball = two.targets[0]!; // examples/shapes.json lists the ball first
    const best = Math.max(...two.masks.map((m) => scoreQuestion([m], [ball], pixels).pairs[0]!.iou));
    expect(best, two.text).toBeGreaterThanOrEqual(0.85);
  }, 120_000);

  it("masks held-out scenes of both orientations where their annotations are", async () => {
    const scenes: { record: MuseRecord; png: Uint8Array }[] = [];
    const wanted = { portrait: SCENES_PER_ORIENTATION, landscape: SCENES_PER_ORIENTATION };
    for (let index = 0; wanted.portrait + wanted.landscape > 0; index++) {
      const { record, png } = await makeExample(0, "test", index, 8);
      const orientation =
        record.height > record.width ? "portrait" : record.width > record.height ? "landscape" : null;
      if (!orientation || wanted[orientation] === 0) continue;
      wanted[orientation]--;
      // Parsed from its JSON, as `pixellm eval` reads a dataset file.
      scenes.push({ record: parseRecords(JSON.parse(JSON.stringify([record])))[0]!, png });
    }
    const lines: string[] = [];
    let iouSum = 0;
    let pairs = 0;
    for (const { record, png } of scenes) {
      let sceneSum = 0;
      let scenePairs = 0;
      for (const question of record.questions) {
        const { masks } = await askMasks(png, question.text);
        for (const pair of scoreQuestion(masks, truth(record, question), record.height * record.width)
          .pairs) {
          sceneSum += pair.iou;
          scenePairs++;
        }
      }
      lines.push(
        `${record.imageName} ${record.width}×${record.height}: ${(sceneSum / scenePairs).toFixed(3)}`,
      );
      iouSum += sceneSum;
      pairs += scenePairs;
    }
    expect(scenes.map((s) => Math.sign(s.record.height - s.record.width)).sort()).toEqual([-1, -1, 1, 1]);
    expect(iouSum / pairs, lines.join("\n")).toBeGreaterThanOrEqual(SCENES_MEAN_IOU);
  }, 240_000);
});
