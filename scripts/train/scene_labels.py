"""Dense labels of a scene on the 448 canvas at 128×128 cells (3.5 px each): which object covers
each cell, and each object's kind, colour, centre and size. The vision tower's pretraining predicts
them per patch."""
import numpy as np
import torch

from data import CANVAS, decode_rle

GRID = 128  # cells per side; a 14-px patch covers 4×4 cells


def cell_centres(clip_hw, height, width):
    """Original-image pixel under each cell centre of the 448 canvas (-1 on padding)."""
    centres = (np.arange(GRID) + 0.5) * CANVAS / GRID
    rows = np.where(centres < clip_hw[0], np.floor(centres * height / clip_hw[0]), -1).astype(np.int64)
    cols = np.where(centres < clip_hw[1], np.floor(centres * width / clip_hw[1]), -1).astype(np.int64)
    return rows, cols


class SceneLabels:
    def __init__(self, image, clip_hw):
        objects = image["objects"]
        rows, cols = cell_centres(clip_hw, image["height"], image["width"])
        inside = (rows[:, None] >= 0) & (cols[None, :] >= 0)
        instance = np.zeros((GRID, GRID), dtype=np.int64)  # 0 = background, k + 1 = object k
        coverage = []
        for k, o in enumerate(objects):
            sampled = decode_rle(o["counts"], image["height"], image["width"])[np.ix_(rows.clip(0), cols.clip(0))] & inside
            instance[sampled > 0] = k + 1
            coverage.append(torch.from_numpy(sampled.astype(np.float32)))
        coverage = torch.stack(coverage) if coverage else torch.zeros(0, GRID, GRID)
        self.instance = torch.from_numpy(instance)
        self.kind = torch.tensor([0] + [o["category"] for o in objects])
        self.colour = torch.tensor([0] + [o["colour"] + 1 for o in objects])
        cells = torch.arange(GRID, dtype=torch.float32) + 0.5
        area = coverage.sum((1, 2)).clamp(min=1e-3)
        cy = (coverage.sum(2) * cells).sum(1) / area
        cx = (coverage.sum(1) * cells).sum(1) / area
        self.centre = torch.cat([torch.zeros(1, 2), torch.stack([cx, cy], 1)])  # in cells
        self.log_area = torch.cat([torch.zeros(1), torch.log(area)])

    def patch_targets(self, rows, cols):
        """Targets for patches (rows[i], cols[i]) of the 32×32 grid."""
        centre_cells = self.instance[rows * 4 + 2, cols * 4 + 2]
        sub = torch.stack([self.instance[r * 4: r * 4 + 4, c * 4: c * 4 + 4].reshape(16) for r, c in zip(rows.tolist(), cols.tolist())])
        same = (sub == centre_cells[:, None]).float()
        foreground = (sub > 0).float()
        patch_centre = torch.stack([cols * 4 + 2.0, rows * 4 + 2.0], 1)
        return {
            "kind": self.kind[centre_cells],
            "colour": self.colour[centre_cells],
            "sub": torch.cat([same, foreground], 1),
            "is_object": centre_cells > 0,
            "offset": (self.centre[centre_cells] - patch_centre) / 16.0,
            "log_area": self.log_area[centre_cells] / 8.0,
        }


def stack_targets(targets):
    return {k: torch.cat([t[k] for t in targets]) for k in targets[0]}


