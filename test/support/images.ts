/** Small synthetic test images (shapes on a gradient), encoded by sharp, any size and format. */
import sharp from "sharp";

export async function shapesImage(
  width: number,
  height: number,
  format: "png" | "jpeg" | "webp" = "png",
  variant = 0,
): Promise<Uint8Array> {
  const r = Math.min(width, height) / 4;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#${variant % 2 ? "204060" : "8ec5ff"}"/><stop offset="1" stop-color="#f0e6d0"/></linearGradient></defs>
    <rect width="${width}" height="${height}" fill="url(#g)"/>
    <circle cx="${width * 0.3}" cy="${height * 0.55}" r="${r}" fill="#d62828"/>
    <rect x="${width * 0.55}" y="${height * 0.3}" width="${width * 0.3}" height="${height * 0.4}" fill="#1d4e89"/>
  </svg>`;
  return sharp(Buffer.from(svg)).toFormat(format).toBuffer();
}
