"""Phase 1: the vision tower, set rather than trained. A CLIP tower learns what a patch looks like
from hundreds of millions of images; none of that is possible on two cores, and a randomly
initialised tower scrambles colour with texture (the decoder then needs thousands of steps to find
colour in it). So the tower is given by construction, in the official architecture and under the
official names, and stays frozen:

- the patch embedding averages each colour channel over a 4×4 grid of sub-blocks of its 14×14
  patch (48 channels: colour at 3.5-pixel resolution, what the masks' edges need);
- the position table is a 2-D sine-cosine code of the patch's row and column (16 channels), so the
  LLM's image tokens say where they are;
- every layer's residual branches (attention out_proj, fc2) start at zero, so each tap is the
  normalised embedding; the other layer weights keep CLIP's N(0, 0.02) initialisation.

Everything after the tower (projectors, neck, LLM, decoder) is trained from scratch."""
import math

import torch

SUB_BLOCKS = 4  # per side of a patch
POSITION_CHANNELS = 16  # 4 frequencies × (sin, cos) × (row, column)


def patch_embedding(width, patch):
    """[width, 3, patch, patch]: channel 3·(4i + j) + c averages colour c over sub-block (i, j)."""
    weight = torch.zeros(width, 3, patch, patch)
    block = torch.arange(patch) * SUB_BLOCKS // patch  # the sub-block each pixel row/column falls in
    for i in range(SUB_BLOCKS):
        for j in range(SUB_BLOCKS):
            cells = (block[:, None] == i) & (block[None, :] == j)
            for c in range(3):
                weight[3 * (SUB_BLOCKS * i + j) + c, c][cells] = 1.0 / cells.sum()
    return weight


def position_code(rows, cols):
    """[..., 16]: the sine-cosine code of canvas-normalised coordinates (0 to 1) that the position
    table gives each patch; also what the oracle prompts say about where an object is."""
    codes = []
    for k in range(POSITION_CHANNELS // 4):
        f = math.pi * (2 ** k)
        codes += [torch.sin(f * rows), torch.cos(f * rows), torch.sin(f * cols), torch.cos(f * cols)]
    return torch.stack(codes, -1)


def position_table(rows, width):
    """[rows + 1, width]: the official table is a side×side grid in its first side² rows (PixelLM's
    448 rebuild reads it so, and gives CLS the last row): sine-cosine codes of (row, column) in the
    last 16 channels; zero elsewhere and for CLS."""
    side = int(math.isqrt(rows))
    table = torch.zeros(rows + 1, width)
    centres = (torch.arange(side) + 0.5) / side
    r, c = torch.meshgrid(centres, centres, indexing="ij")
    table[:side * side, width - POSITION_CHANNELS:] = position_code(r, c).reshape(side * side, -1)
    return table


def set_tower(clip_weights, clip_cfg):
    """Overwrites the tower's embedding and residual-branch weights in place."""
    clip_cfg = clip_cfg.get("vision_config", clip_cfg)
    width = clip_cfg["hidden_size"]
    patch = clip_cfg["patch_size"]
    assert width >= 3 * SUB_BLOCKS ** 2 + POSITION_CHANNELS, "the tower is too narrow for its construction"
    clip_weights["vision_model.embeddings.patch_embedding.weight"] = patch_embedding(width, patch)
    rows = clip_weights["vision_model.embeddings.position_embedding.weight"].shape[0] - 1
    clip_weights["vision_model.embeddings.position_embedding.weight"] = position_table(rows, width)
    clip_weights["vision_model.embeddings.class_embedding"] = torch.zeros(width)
    for name, tensor in clip_weights.items():
        if name.endswith(("self_attn.out_proj.weight", "self_attn.out_proj.bias", "mlp.fc2.weight", "mlp.fc2.bias")):
            clip_weights[name] = torch.zeros_like(tensor)
