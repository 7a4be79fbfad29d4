"""Where the objects of a training image are, and a probe that makes a network see them.

The LLM has to read every answer's words off the image ("everything red" -> "the red ball and
the red star"), and its [SEG] states have to say where each target is. Learning to look from the
answers' cross-entropy alone is slow: phase 3's distillation loss stopped at the level the
question's words explain. So each image token of the LLM also carries a dense, cheap target: a
linear probe on the output of layer PROBE_LAYER predicts the colour and kind of the object the
token covers, where that object's centre is (the tower's position code) and how big it is. Phase 2
puts a probe of its own on the decoder's features. Probes are training scaffolding and are not
part of the checkpoint."""
import torch
import torch.nn.functional as F

from decoder_pretraining import COLOURS, KINDS
from feature_tower import position_code, POSITION_CHANNELS

PROBE_LAYER = 1  # the output of the LLM's second layer: two more layers route what it sees
OWNER_FRACTION = 0.3  # a token belongs to the object covering this much of it, if any


class SceneLayout:
    """One image's objects on the canvas, from their masks on the loss grid [objects, G, G]."""

    def __init__(self, masks, colours, kinds):
        objects, grid, _ = masks.shape
        centres = (torch.arange(grid) + 0.5) / grid
        area = masks.sum((1, 2)).clamp(min=1e-6)
        rows = (masks.sum(2) * centres).sum(1) / area
        cols = (masks.sum(1) * centres).sum(1) / area
        grid_rows, grid_cols = torch.meshgrid(centres, centres, indexing="ij")
        # [objects, 16]: where each visible centroid lies, centred so that 0 means "somewhere"
        self.code = position_code(rows, cols) - position_code(grid_rows, grid_cols).mean((0, 1))
        self.size = (area / grid ** 2).sqrt()  # [objects]: side of a square of the same area, canvas units
        self.masks = masks
        self.colours = colours  # [objects]: 1-based colour classes
        self.kinds = kinds  # [objects]: 1-based kind classes
        self.owner_grids = {}

    def owners(self, grid):
        """[grid²]: the object covering at least OWNER_FRACTION of each cell of a grid×grid split
        of the canvas, -1 for none."""
        if grid not in self.owner_grids:
            cells = grid * grid
            if len(self.masks) == 0:
                self.owner_grids[grid] = torch.full((cells,), -1)
            else:
                fractions = F.adaptive_avg_pool2d(self.masks[None], grid)[0].flatten(1)  # [objects, cells]
                best, owner = fractions.max(0)
                self.owner_grids[grid] = torch.where(best >= OWNER_FRACTION, owner, torch.full_like(owner, -1))
        return self.owner_grids[grid]


class SceneProbe:
    """A linear map from a cell's features to its object's colour, kind, centre and size."""

    def __init__(self, hidden, generator):
        outputs = COLOURS + KINDS + POSITION_CHANNELS + 1
        self.weight = (torch.randn(outputs, hidden, generator=generator) * 0.02).requires_grad_()
        self.bias = torch.zeros(outputs).requires_grad_()

    def parameters(self):
        return [self.weight, self.bias]

    def loss(self, states, layouts, valid):
        """states [K, T, H] of K images on a square grid of T cells (the LLM's 16×16 image tokens,
        or the decoder's 32×32 features), their layouts, valid [K, T] mask of the cells to score ->
        cross-entropy of colour and kind over valid tokens + squared error of centre and size
        over tokens on an object."""
        out = F.linear(states, self.weight, self.bias)
        colour_logits, kind_logits, where, size = out.split([COLOURS, KINDS, POSITION_CHANNELS, 1], -1)
        grid = int(states.shape[1] ** 0.5)
        owner = torch.stack([layout.owners(grid) for layout in layouts])  # [K, T]
        on_object = owner >= 0
        pick = lambda values: torch.stack([  # noqa: E731
            torch.cat([torch.zeros_like(v[:1]), v])[o + 1] for v, o in zip(values, owner)])
        colour = pick([layout.colours for layout in layouts])
        kind = pick([layout.kinds for layout in layouts])
        keep = valid > 0
        classes = F.cross_entropy(colour_logits[keep], colour[keep]) + F.cross_entropy(kind_logits[keep], kind[keep])
        if not on_object.any():
            return classes
        code = pick([layout.code for layout in layouts])
        side = pick([layout.size for layout in layouts])
        geometry = F.mse_loss(where[on_object], code[on_object]) + F.mse_loss(size[..., 0][on_object], side[on_object])
        return classes + geometry
