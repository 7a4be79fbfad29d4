/**
 * A request through a deployed gateway compared with the in-process engine: the chart's local
 * run and the image smoke ask the same question of what they started.
 */
import type { PixelLMClient, SegmentInput } from "@pixellm/client";
import type { PixelLMEngine } from "@pixellm/engine";
import { expect } from "vitest";
import { shapesImage } from "./images";

/** Segments the shapes image through `client`; expects the engine's ids, text and masks. The request. */
export async function expectEngineAnswer(
  client: PixelLMClient,
  engine: PixelLMEngine,
  timeoutMs: number,
): Promise<SegmentInput> {
  const request = { image: await shapesImage(320, 240), query: "Please segment the red ball." };
  const local = await engine.segment(request);
  const served = await client.segment(request, { timeoutMs });
  expect(served.outputIds).toEqual(local.outputIds);
  expect(served.text).toBe(local.text);
  expect(served.targets.map((t) => t.mask?.counts)).toEqual(local.targets.map((t) => t.mask.counts));
  expect(served.targets.length).toBeGreaterThan(0);
  return request;
}
