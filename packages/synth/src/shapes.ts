/**
 * Shape kinds, their names in questions and answers, and their outlines as polygons in pixel
 * coordinates. Everything is a polygon (circles too, with 96 points): the rendered image and the
 * COCO ground truth come from the same outline.
 */
import type { Rng } from "./rng";

export type ShapeKind = "circle" | "square" | "rectangle" | "triangle" | "star";
export const SHAPE_KINDS: readonly ShapeKind[] = ["circle", "square", "rectangle", "triangle", "star"];

/** COCO category ids and names, the noun answers use, and the nouns questions may use. */
export const SHAPE_INFO: Readonly<
  Record<ShapeKind, { categoryId: number; noun: string; nouns: readonly string[]; plural: string }>
> = {
  circle: { categoryId: 1, noun: "ball", nouns: ["ball", "circle"], plural: "balls" },
  square: { categoryId: 2, noun: "square", nouns: ["square"], plural: "squares" },
  rectangle: { categoryId: 3, noun: "rectangle", nouns: ["rectangle"], plural: "rectangles" },
  triangle: { categoryId: 4, noun: "triangle", nouns: ["triangle"], plural: "triangles" },
  star: { categoryId: 5, noun: "star", nouns: ["star"], plural: "stars" },
};

export interface Outline {
  /** [x0, y0, x1, y1, …] in pixels. */
  readonly polygon: number[];
  /** Area of the polygon (shoelace), in pixels². */
  readonly area: number;
}

type Point = readonly [number, number];

function rotateAbout(points: readonly Point[], cx: number, cy: number, angle: number): Point[] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return points.map(([x, y]) => [cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c]);
}

function ring(cx: number, cy: number, rx: number, ry: number, count: number, phase: number): Point[] {
  return Array.from({ length: count }, (_, i) => {
    const a = phase + (2 * Math.PI * i) / count;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as const;
  });
}

/** A rectangle with optionally rounded corners (8 points per quarter arc). */
function box(cx: number, cy: number, w: number, h: number, cornerRadius: number): Point[] {
  if (cornerRadius <= 0) {
    return [
      [cx - w / 2, cy - h / 2],
      [cx + w / 2, cy - h / 2],
      [cx + w / 2, cy + h / 2],
      [cx - w / 2, cy + h / 2],
    ];
  }
  const r = Math.min(cornerRadius, w / 2, h / 2);
  const corners: [number, number, number][] = [
    [cx + w / 2 - r, cy - h / 2 + r, -Math.PI / 2],
    [cx + w / 2 - r, cy + h / 2 - r, 0],
    [cx - w / 2 + r, cy + h / 2 - r, Math.PI / 2],
    [cx - w / 2 + r, cy - h / 2 + r, Math.PI],
  ];
  return corners.flatMap(([x, y, start]) =>
    Array.from({ length: 9 }, (_, i) => {
      const a = start + (i * Math.PI) / 16;
      return [x + r * Math.cos(a), y + r * Math.sin(a)] as const;
    }),
  );
}

function shoelace(points: readonly Point[]): number {
  let twice = 0;
  points.forEach(([x, y], i) => {
    const [nx, ny] = points[(i + 1) % points.length]!;
    twice += x * ny - nx * y;
  });
  return Math.abs(twice) / 2;
}

/**
 * The outline of a shape of `kind` centred at (cx, cy) with size `r` (about the radius of a
 * circle of similar presence). Rotation and proportions are drawn from `rng`.
 */
export function outline(kind: ShapeKind, cx: number, cy: number, r: number, rng: Rng): Outline {
  let points: Point[];
  switch (kind) {
    case "circle":
      points = ring(cx, cy, r, r, 96, 0);
      break;
    case "square": {
      const side = 1.75 * r;
      points = box(cx, cy, side, side, rng.chance(0.4) ? side * rng.range(0.08, 0.2) : 0);
      if (rng.chance(0.2)) points = rotateAbout(points, cx, cy, rng.range(-0.35, 0.35));
      break;
    }
    case "rectangle": {
      const aspect = rng.range(1.5, 2.3);
      const long = 2 * r * Math.sqrt(aspect) * 0.9;
      const short = long / aspect;
      const [w, h] = rng.chance(0.65) ? [long, short] : [short, long];
      points = box(cx, cy, w, h, rng.chance(0.4) ? short * rng.range(0.08, 0.2) : 0);
      if (rng.chance(0.15)) points = rotateAbout(points, cx, cy, rng.range(-0.3, 0.3));
      break;
    }
    case "triangle": {
      const up = ring(cx, cy + 0.25 * r, 1.2 * r, 1.2 * r, 3, -Math.PI / 2);
      points = rng.chance(0.8) ? up : rotateAbout(up, cx, cy, rng.range(-0.6, 0.6));
      break;
    }
    case "star": {
      const outer = ring(cx, cy, 1.15 * r, 1.15 * r, 5, -Math.PI / 2);
      const inner = ring(cx, cy, 0.48 * r, 0.48 * r, 5, -Math.PI / 2 + Math.PI / 5);
      points = outer.flatMap((p, i) => [p, inner[i]!]);
      if (rng.chance(0.3)) points = rotateAbout(points, cx, cy, rng.range(-0.6, 0.6));
      break;
    }
  }
  return { polygon: points.flatMap(([x, y]) => [round2(x), round2(y)]), area: shoelace(points) };
}

/** Coordinates are stored with 2 decimals, like COCO's polygons. */
function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
