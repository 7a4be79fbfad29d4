/**
 * The colours objects may have, by the name questions use, and the background colours scenes
 * are painted with. Object colours are saturated and far apart so that "everything red" has one
 * reading; each object's shade is jittered around its base so colour is a category, not a value.
 */
import type { Rng } from "./rng";

export type Rgb = readonly [number, number, number];

export const OBJECT_COLOURS = {
  red: [214, 40, 40],
  orange: [244, 140, 36],
  yellow: [240, 205, 40],
  green: [46, 160, 67],
  blue: [30, 80, 190],
  purple: [128, 60, 170],
  pink: [240, 120, 180],
  brown: [120, 72, 36],
  black: [30, 30, 34],
  white: [245, 245, 240],
} as const satisfies Record<string, Rgb>;

export type ColourName = keyof typeof OBJECT_COLOURS;
export const COLOUR_NAMES = Object.keys(OBJECT_COLOURS) as ColourName[];

/** The base colour with each channel moved by up to ±`spread`. */
export function jitter(rgb: Rgb, spread: number, rng: Rng): Rgb {
  const channel = (v: number) => Math.max(0, Math.min(255, Math.round(v + rng.range(-spread, spread))));
  return [channel(rgb[0]), channel(rgb[1]), channel(rgb[2])];
}

export function scale(rgb: Rgb, factor: number): Rgb {
  const channel = (v: number) => Math.max(0, Math.min(255, Math.round(v * factor)));
  return [channel(rgb[0]), channel(rgb[1]), channel(rgb[2])];
}

export function hex(rgb: Rgb): string {
  return `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/** Euclidean distance in RGB: a coarse but sufficient test of "stands out against". */
export function distance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Sky tops and bottoms, ground colours, and plain backdrops. */
export const SKY_TOPS: readonly Rgb[] = [
  [142, 197, 255],
  [120, 170, 230],
  [180, 200, 220],
  [250, 190, 140],
];
export const GROUNDS: readonly Rgb[] = [
  [90, 138, 60],
  [110, 150, 70],
  [196, 170, 120],
  [150, 120, 90],
  [120, 120, 125],
];
export const BACKDROPS: readonly Rgb[] = [
  [235, 232, 225],
  [210, 215, 220],
  [200, 225, 205],
  [225, 210, 190],
  [90, 95, 105],
  [60, 70, 80],
  [170, 160, 200],
  [160, 200, 200],
];
