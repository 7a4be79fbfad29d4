#!/usr/bin/env python3
"""Writes torch reference outputs for @pixellm/image's bilinear interpolation and mask
post-processing to packages/image/test/fixtures/interpolate (committed; CI has no torch).

Run with the Debian interpreter that has python3-torch and python3-numpy:
    /usr/bin/python3 packages/image/scripts/make-interpolate-fixtures.py

Inputs are not stored: both sides regenerate them with `pattern` (integer arithmetic, then one
float64 division and a float32 cast, so they are bit-identical in TypeScript).
"""
import json
import os
import re

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "interpolate")
LOW_RES = 128
CLIP_SIZE = 448


def pattern(planes, height, width, seed):
    """Values in [-10, 10] in steps of 0.01; must match `pattern` in test/interpolate.test.ts."""
    p = np.arange(planes, dtype=np.int64)[:, None, None]
    i = np.arange(height, dtype=np.int64)[None, :, None]
    j = np.arange(width, dtype=np.int64)[None, None, :]
    k = (p * 7919 + i * i * 104729 + j * 1299709 + i * j * 613 + seed * 15485863) % 2001 - 1000
    return (k.astype(np.float64) / 100.0).astype(np.float32)


def longest_side_shape(h, w, long_side=CLIP_SIZE):
    # segment_anything ResizeLongestSide.get_preprocess_shape
    scale = long_side * 1.0 / max(h, w)
    return int(h * scale + 0.5), int(w * scale + 0.5)


def postprocess_masks(masks, input_size, original_size):
    # model/PixelLM.py postprocess_masks with vision_tower_for_mask=True, masks_process_with_clip=False
    target_size = max(input_size)
    masks = F.interpolate(masks.float(), (target_size, target_size), mode="bilinear", align_corners=False)
    masks = masks[..., : input_size[0], : input_size[1]]
    return F.interpolate(masks, original_size, mode="bilinear", align_corners=False)


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    manifest = {"torch": torch.__version__, "interpolate": [], "postprocess": []}

    for index, (planes, in_h, in_w, out_h, out_w) in enumerate(
        [(2, 5, 7, 13, 4), (1, 6, 6, 3, 3), (1, 1, 5, 4, 9), (1, 9, 4, 9, 4), (1, 16, 16, 56, 56), (1, 7, 3, 2, 11)]
    ):
        seed = 100 + index
        x = torch.from_numpy(pattern(planes, in_h, in_w, seed))[:, None]
        y = F.interpolate(x, (out_h, out_w), mode="bilinear", align_corners=False)[:, 0]
        name = f"interpolate-{index}.npy"
        save(name, y.numpy())
        manifest["interpolate"].append(
            {"file": name, "seed": seed, "planes": planes, "in": [in_h, in_w], "out": [out_h, out_w]}
        )

    for index, (count, original) in enumerate([(2, (90, 61)), (1, (23, 40)), (1, (300, 7))]):
        seed = 200 + index
        low_res = torch.from_numpy(pattern(count, LOW_RES, LOW_RES, seed))[:, None]
        resized = longest_side_shape(*original)
        logits = postprocess_masks(low_res, resized, original)[:, 0]
        positive = logits > 0
        # model/PixelLM.py evaluate: mean sigmoid over the predicted-positive pixels
        score = (logits.sigmoid().flatten(1) * positive.flatten(1)).sum(1) / (positive.flatten(1).sum(1) + 1e-6)
        name = f"postprocess-{index}.npy"
        save(name, logits.numpy())
        manifest["postprocess"].append(
            {
                "file": name,
                "seed": seed,
                "count": count,
                "resized": list(resized),
                "original": list(original),
                "positive": positive.flatten(1).sum(1).tolist(),
                "score": score.tolist(),
            }
        )

    # Number lists on one line, as prettier formats them.
    text = re.sub(
        r"\[\s+([^\[\]{}]*?)\s+\]",
        lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]",
        json.dumps(manifest, indent=2),
    )
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
