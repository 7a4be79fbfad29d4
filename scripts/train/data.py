"""Training data from prepare.ts's output: images preprocessed as the official code does for CLIP
(ResizeLongestSide(448) with PIL's bilinear resize, ImageNet mean/std in 0-255 units, zero padding
bottom/right), object masks from COCO RLE, and per-question token ids."""
import json

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

CANVAS = 448
PIXEL_MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
PIXEL_STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


def resized_shape(height, width, long_side=CANVAS):
    """ResizeLongestSide.get_preprocess_shape."""
    scale = long_side / max(height, width)
    return int(height * scale + 0.5), int(width * scale + 0.5)


def load_image(path):
    """-> (pixels float32 [3, 448, 448], (h', w'))"""
    image = Image.open(path).convert("RGB")
    h, w = resized_shape(image.height, image.width)
    # torchvision's resize(to_pil_image(x)) in the official code is PIL's bilinear resize.
    resized = np.asarray(image.resize((w, h), Image.BILINEAR))
    x = (torch.from_numpy(resized.copy()).permute(2, 0, 1).float() - PIXEL_MEAN) / PIXEL_STD
    return F.pad(x, (0, CANVAS - w, 0, CANVAS - h)), (h, w)


def decode_rle(counts, height, width):
    """COCO uncompressed RLE (column-major runs, zeros first) -> uint8 [height, width]."""
    values = np.zeros(len(counts), dtype=np.uint8)
    values[1::2] = 1
    flat = np.repeat(values, counts)
    return flat.reshape(width, height).T


def canvas_mask(counts, height, width, clip_hw, size):
    """An object's mask on the padded 448 canvas, area-averaged down to size×size: soft targets
    for the mask loss, aligned with how predictions are resized (128 -> 448 -> crop)."""
    mask = torch.from_numpy(decode_rle(counts, height, width).astype(np.float32))[None, None]
    h, w = clip_hw
    resized = F.interpolate(mask, size=(h, w), mode="area")
    canvas = F.pad(resized, (0, CANVAS - w, 0, CANVAS - h))
    return F.adaptive_avg_pool2d(canvas, size)[0, 0]


class Split:
    def __init__(self, prep_file):
        with open(prep_file) as f:
            self.images = json.load(f)
        self.questions = [(i, q) for i, image in enumerate(self.images) for q in range(len(image["questions"]))]
