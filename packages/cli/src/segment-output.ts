/** `--out DIR`: result.json, then mask_<k>.png (0/255) and overlay_<k>.png for each target. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeImage, decodeRle, maskToPng, overlayPng, rleCountsFromString } from "@pixellm/image";

interface WithMasks {
  readonly targets: readonly {
    readonly index: number;
    readonly mask?: { readonly size: readonly number[]; readonly counts: string } | null;
  }[];
}

export async function writeSegmentOutputs(dir: string, result: WithMasks, image: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "result.json"), JSON.stringify(result, null, 2) + "\n");
  const decoded = await decodeImage(image);
  for (const t of result.targets) {
    if (!t.mask) continue;
    const [h = 0, w = 0] = t.mask.size;
    const mask = decodeRle({ size: [h, w], counts: rleCountsFromString(t.mask.counts) });
    await writeFile(path.join(dir, `mask_${t.index}.png`), await maskToPng(mask, h, w));
    await writeFile(path.join(dir, `overlay_${t.index}.png`), await overlayPng(decoded, mask));
  }
}
