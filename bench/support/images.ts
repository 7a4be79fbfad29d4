/** Distinct synthetic images (a circle and a box on a gradient), so no request reuses another's vision work. */
import sharp from "sharp";

/** The `i`th image: its size and colour follow from `i`. */
export async function benchImage(i: number): Promise<Uint8Array> {
  const w = 320 + ((i * 37) % 320);
  const h = 240 + ((i * 53) % 200);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="rgb(${(i * 29) % 255},120,200)"/><circle cx="${w / 3}" cy="${h / 2}" r="${h / 4}" fill="#d62828"/><rect x="${w / 2}" y="${h / 4}" width="${w / 3}" height="${h / 2}" fill="#1d4e89"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function benchImages(count: number): Promise<Uint8Array[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => benchImage(i)));
}
