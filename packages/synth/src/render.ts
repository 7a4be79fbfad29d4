/**
 * A scene as SVG, rasterised by sharp (librsvg) into RGB pixels. Shapes are filled polygons with
 * a soft vertical shading; anti-aliased edges are what real images have, while the ground truth
 * stays the COCO rasterisation of the same outlines.
 */
import sharp from "sharp";
import { hex, scale } from "./palette";
import type { Background, Scene } from "./scene";

function backgroundSvg(bg: Background, width: number, height: number): string {
  switch (bg.style) {
    case "landscape":
      return (
        `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">` +
        `<stop offset="0" stop-color="${hex(bg.skyTop)}"/><stop offset="1" stop-color="${hex(bg.skyBottom)}"/>` +
        `</linearGradient></defs>` +
        `<rect width="${width}" height="${bg.horizon}" fill="url(#sky)"/>` +
        `<rect y="${bg.horizon}" width="${width}" height="${height - bg.horizon}" fill="${hex(bg.ground)}"/>`
      );
    case "flat":
      return `<rect width="${width}" height="${height}" fill="${hex(bg.colour)}"/>`;
    case "gradient":
      return (
        `<defs><linearGradient id="bg" gradientTransform="rotate(${bg.angle.toFixed(1)} 0.5 0.5)">` +
        `<stop offset="0" stop-color="${hex(bg.from)}"/><stop offset="1" stop-color="${hex(bg.to)}"/>` +
        `</linearGradient></defs><rect width="${width}" height="${height}" fill="url(#bg)"/>`
      );
    case "stripes":
    case "checks": {
      const p = bg.period;
      const tile =
        bg.style === "stripes"
          ? `<rect width="${p / 2}" height="${p}" fill="${hex(bg.second)}"/>`
          : `<rect width="${p / 2}" height="${p / 2}" fill="${hex(bg.second)}"/><rect x="${p / 2}" y="${p / 2}" width="${p / 2}" height="${p / 2}" fill="${hex(bg.second)}"/>`;
      return (
        `<defs><pattern id="tex" width="${p}" height="${p}" patternUnits="userSpaceOnUse" patternTransform="rotate(${bg.angle})">` +
        `${tile}</pattern></defs>` +
        `<rect width="${width}" height="${height}" fill="${hex(bg.colour)}"/>` +
        `<rect width="${width}" height="${height}" fill="url(#tex)"/>`
      );
    }
  }
}

function noiseSvg(scene: Scene): string {
  if (scene.noise <= 0) return "";
  return (
    `<filter id="noise"><feTurbulence type="fractalNoise" baseFrequency="0.06" numOctaves="2" seed="${scene.noiseSeed}"/>` +
    `<feColorMatrix type="saturate" values="0"/><feComponentTransfer><feFuncA type="linear" slope="${scene.noise.toFixed(3)}"/></feComponentTransfer></filter>` +
    `<rect width="${scene.width}" height="${scene.height}" filter="url(#noise)"/>`
  );
}

export function sceneSvg(scene: Scene): string {
  const shapes = scene.objects.map((o) => {
    const id = `shade${o.index}`;
    const points = [];
    for (let i = 0; i < o.polygon.length; i += 2) points.push(`${o.polygon[i]},${o.polygon[i + 1]}`);
    return (
      `<linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">` +
      `<stop offset="0" stop-color="${hex(scale(o.colour, 1.08))}"/><stop offset="1" stop-color="${hex(scale(o.colour, 0.9))}"/>` +
      `</linearGradient><polygon points="${points.join(" ")}" fill="url(#${id})"/>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}">` +
    backgroundSvg(scene.background, scene.width, scene.height) +
    noiseSvg(scene) +
    shapes.join("") +
    `</svg>`
  );
}

/** The scene as a PNG file's bytes. */
export async function renderScenePng(scene: Scene): Promise<Buffer> {
  return sharp(Buffer.from(sceneSvg(scene)))
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
}
