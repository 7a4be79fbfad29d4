/**
 * One procedural scene: an image size (landscape, portrait or square), a background style, and
 * 2–6 shapes placed with limited overlap. Later shapes are drawn over earlier ones; each shape's
 * visible mask is its COCO-rasterised outline minus those of the shapes above it, and every shape
 * keeps at least 60% of its area in view.
 */
import { decodeRle, polygonToRle } from "@pixellm/image";
import {
  BACKDROPS,
  COLOUR_NAMES,
  type ColourName,
  GROUNDS,
  OBJECT_COLOURS,
  type Rgb,
  SKY_TOPS,
  distance,
  jitter,
  scale,
} from "./palette";
import type { Rng } from "./rng";
import { type ShapeKind, SHAPE_KINDS, outline } from "./shapes";

export type Background =
  | {
      readonly style: "landscape";
      readonly skyTop: Rgb;
      readonly skyBottom: Rgb;
      readonly ground: Rgb;
      readonly horizon: number;
    }
  | { readonly style: "flat"; readonly colour: Rgb }
  | { readonly style: "gradient"; readonly from: Rgb; readonly to: Rgb; readonly angle: number }
  | {
      readonly style: "stripes" | "checks";
      readonly colour: Rgb;
      readonly second: Rgb;
      readonly period: number;
      readonly angle: number;
    };

/** A shape as placed: what it is, its outline and where its centre lies. */
interface PlacedShape {
  readonly kind: ShapeKind;
  readonly colourName: ColourName;
  readonly colour: Rgb;
  readonly polygon: number[];
  /** Area of the full outline: what "largest" and "smallest" compare. */
  readonly area: number;
  readonly cx: number;
  readonly cy: number;
}

export interface SceneObject extends PlacedShape {
  /** Index in drawing order (0 is at the back). */
  readonly index: number;
  /** Visible pixels, uint8[H,W] row-major. */
  readonly mask: Uint8Array;
  readonly visibleArea: number;
  /** Whether a later shape covers part of it (its ground truth is then an RLE, not the polygon). */
  readonly occluded: boolean;
}

export interface Scene {
  readonly width: number;
  readonly height: number;
  readonly background: Background;
  /** A fine-grained texture drawn over the background (feTurbulence), 0 for none. */
  readonly noise: number;
  readonly noiseSeed: number;
  readonly objects: readonly SceneObject[];
}

const MIN_VISIBLE_FRACTION = 0.6;
const MIN_CONTRAST = 90;

function imageSize(rng: Rng): [number, number] {
  const long = rng.int(400, 800);
  const short = Math.round(long * rng.range(0.55, 0.85));
  return rng.weighted<[number, number]>([
    [[long, short], 0.55],
    [[short, long], 0.35],
    [[long, long], 0.1],
  ]);
}

function background(height: number, rng: Rng): Background {
  const style = rng.weighted([
    ["landscape", 0.35],
    ["flat", 0.2],
    ["gradient", 0.15],
    ["stripes", 0.15],
    ["checks", 0.15],
  ] as const);
  switch (style) {
    case "landscape": {
      const skyTop = jitter(rng.pick(SKY_TOPS), 12, rng);
      return {
        style,
        skyTop,
        skyBottom: jitter(scale(skyTop, 1.15), 8, rng),
        ground: jitter(rng.pick(GROUNDS), 12, rng),
        horizon: Math.round(height * rng.range(0.55, 0.78)),
      };
    }
    case "flat":
      return { style, colour: jitter(rng.pick(BACKDROPS), 10, rng) };
    case "gradient": {
      const from = jitter(rng.pick(BACKDROPS), 10, rng);
      return { style, from, to: jitter(rng.pick(BACKDROPS), 10, rng), angle: rng.range(0, 180) };
    }
    case "stripes":
    case "checks": {
      const colour = jitter(rng.pick(BACKDROPS), 10, rng);
      return {
        style,
        colour,
        second: scale(colour, rng.pick([0.85, 0.9, 1.1])),
        period: rng.int(12, 40),
        angle: rng.pick([0, 30, 45, 60, 90, 135]),
      };
    }
  }
}

/** The background colours an object may sit on (both bands near a landscape's horizon). */
function backgroundColoursAt(bg: Background, top: number, bottom: number): Rgb[] {
  switch (bg.style) {
    case "landscape": {
      const colours: Rgb[] = [];
      if (top < bg.horizon) colours.push(bg.skyTop, bg.skyBottom);
      if (bottom >= bg.horizon) colours.push(bg.ground);
      return colours;
    }
    case "flat":
      return [bg.colour];
    case "gradient":
      return [bg.from, bg.to];
    case "stripes":
    case "checks":
      return [bg.colour, bg.second];
  }
}

function bounds(polygon: readonly number[]): { x0: number; y0: number; x1: number; y1: number } {
  const xs = polygon.filter((_, i) => i % 2 === 0);
  const ys = polygon.filter((_, i) => i % 2 === 1);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n;
}

interface Placed extends PlacedShape {
  readonly fullArea: number;
  /** Pixels not covered by shapes drawn later; updated as shapes are added on top. */
  readonly visible: Uint8Array;
  visibleArea: number;
}

interface PixelBox {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** Pixel rows and columns a polygon can touch, clamped to the image. */
function pixelBox(polygon: readonly number[], width: number, height: number): PixelBox {
  const b = bounds(polygon);
  return {
    x0: Math.max(0, Math.floor(b.x0)),
    y0: Math.max(0, Math.floor(b.y0)),
    x1: Math.min(width - 1, Math.ceil(b.x1)),
    y1: Math.min(height - 1, Math.ceil(b.y1)),
  };
}

/** How many visible pixels of `below` a new shape with mask `top` (inside `box`) would cover. */
function covered(below: Placed, top: Uint8Array, box: PixelBox, width: number): number {
  let n = 0;
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0, p = y * width + box.x0; x <= box.x1; x++, p++) n += below.visible[p]! & top[p]!;
  }
  return n;
}

function coverWith(below: Placed, top: Uint8Array, box: PixelBox, width: number): void {
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0, p = y * width + box.x0; x <= box.x1; x++, p++) if (top[p]) below.visible[p] = 0;
  }
}

export function sampleScene(rng: Rng): Scene {
  const [width, height] = imageSize(rng);
  const bg = background(height, rng);
  const wanted = rng.weighted([
    [2, 0.15],
    [3, 0.25],
    [4, 0.25],
    [5, 0.2],
    [6, 0.15],
  ] as const);
  const minSide = Math.min(width, height);
  const placed: Placed[] = [];
  for (let attempt = 0; placed.length < wanted && attempt < 200; attempt++) {
    const kind = rng.pick(SHAPE_KINDS);
    const r = minSide * rng.range(0.09, 0.2);
    const margin = 1.3 * r + 2;
    if (2 * margin >= width || 2 * margin >= height) continue;
    const cx = rng.range(margin, width - margin);
    const cy = rng.range(margin, height - margin);
    const shape = outline(kind, cx, cy, r, rng);
    const extent = bounds(shape.polygon);
    if (extent.x0 < 1 || extent.y0 < 1 || extent.x1 > width - 1 || extent.y1 > height - 1) continue;
    const around = backgroundColoursAt(bg, extent.y0, extent.y1);
    const visibleColours = COLOUR_NAMES.filter((c) =>
      around.every((b) => distance(OBJECT_COLOURS[c], b) >= MIN_CONTRAST),
    );
    if (visibleColours.length === 0) continue;
    const colourName = rng.pick(visibleColours);
    const full = decodeRle(polygonToRle(shape.polygon, height, width));
    const fullArea = countOnes(full);
    const box = pixelBox(shape.polygon, width, height);
    const losses = placed.map((p) => covered(p, full, box, width));
    const overlapsTooMuch = placed.some(
      (p, i) => p.visibleArea - losses[i]! < MIN_VISIBLE_FRACTION * p.fullArea,
    );
    // Shapes of one colour must not touch: their union would read as one object.
    const touchesTwin = placed.some(
      (p) =>
        p.colourName === colourName &&
        Math.hypot(p.cx - cx, p.cy - cy) < (1.2 * (Math.sqrt(p.area) + Math.sqrt(shape.area))) / 2,
    );
    if (overlapsTooMuch || touchesTwin || fullArea === 0) continue;
    placed.forEach((p, i) => {
      coverWith(p, full, box, width);
      p.visibleArea -= losses[i]!;
    });
    placed.push({
      kind,
      colourName,
      colour: jitter(OBJECT_COLOURS[colourName], 14, rng),
      ...shape,
      cx,
      cy,
      fullArea,
      visible: full,
      visibleArea: fullArea,
    });
  }
  const objects = placed.map((p, index): SceneObject => {
    return {
      index,
      kind: p.kind,
      colourName: p.colourName,
      colour: p.colour,
      polygon: p.polygon,
      area: p.area,
      cx: p.cx,
      cy: p.cy,
      mask: p.visible,
      visibleArea: p.visibleArea,
      occluded: p.visibleArea < p.fullArea,
    };
  });
  return {
    width,
    height,
    background: bg,
    noise: rng.chance(0.6) ? rng.range(0.08, 0.3) : 0,
    noiseSeed: rng.int(1, 10_000),
    objects,
  };
}
