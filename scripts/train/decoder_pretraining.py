"""Phase 2: teach the pixel side (out_mm_projector, image_feature_neck, prompt encoder and mask
decoder) to segment before any language is involved. Each object of a scene gets an oracle prompt
built from what the scene says about it: learned embeddings of its colour and of its kind. The
decoder learns "the object of this colour and kind" from every object of every image, which is far
cheaper than learning it through the LLM's answers. Phase 3 then teaches the LLM to produce these
prompts (a distillation target) before the whole model is trained on PixelLM's own loss.

Two measured speed-ups (oracle-prompt mask IoU on 20 val images after the same ~4 minutes): most
steps train the decoder's first level alone, 4 images a step (0.37 against 0.14 with both levels
throughout; 0.59 with 520 first-level steps and 40 of both), and a linear probe on the first
level's features asks each patch which object it belongs to (0.41 against 0.37)."""
import time

import torch

from optimisation import learning_rate, mask_losses

SCALES = 2
KINDS = 6  # background + 5 shapes
COLOURS = 11  # background + 10 colours


UNKNOWN = 0  # the index that stands for "not said": the background's row, which is zero


class OraclePrompts:
    """Per decoder level, learned embeddings of an object's colour and of its kind, summed:
    [N, 2, D], the shape of PixelLM's fused prompts.

    Each table is centred over its real values and its row 0 ("not said") is zero, so "not said"
    is also what an LLM unsure of that attribute predicts under the squared loss of phase 3 (the
    mean of the table). Phase 2 therefore also asks for an object by its colour alone or its kind
    alone where that names it uniquely ("the green object", "the square"), and the decoder learns
    to do with what the question says.

    Nothing about where the object is. With the object's centre added (SAM's point features, or a
    learned map of the tower's position code of its centroid) the decoder learns far faster
    (training Dice loss 0.39 after 300 steps against 0.60 without), but phase 3 never got the
    LLM's prompts to say where the target is (the position part of the distillation loss did not
    move), and the masks of its prompts scored a val IoU of 0.03 to 0.06 after phase 3; with the
    position given to only half the prompts the decoder learned neither well (Dice 0.71 after
    300 steps)."""

    def __init__(self, width, generator):
        self.colour = (torch.randn(SCALES, COLOURS, width, generator=generator) * 0.5).requires_grad_()
        self.kind = (torch.randn(SCALES, KINDS, width, generator=generator) * 0.5).requires_grad_()

    def parameters(self):
        return [self.colour, self.kind]

    @staticmethod
    def centred(table):
        real = table[:, 1:] - table[:, 1:].mean(1, keepdim=True)
        return torch.cat([torch.zeros_like(table[:, :1]), real], 1)

    def __call__(self, colours, kinds):
        colour, kind = self.centred(self.colour), self.centred(self.kind)
        return torch.stack([colour[l][colours] + kind[l][kinds] for l in range(SCALES)], 1)


def object_prompts(image, objects):
    """Colour and kind indices (0 stands for "not said") of the given objects of a prepared image
    (prepare.ts: `category` counts from 1, `colour` from 0)."""
    return (torch.tensor([image["objects"][o]["colour"] + 1 for o in objects]),
            torch.tensor([image["objects"][o]["category"] for o in objects]))


def leave_out_unneeded(image, objects, colours, kinds, generator):
    """A third of the prompts drop the kind and a third the colour, where the other attribute
    alone still names the object uniquely in its scene."""
    scene_colours = [o["colour"] + 1 for o in image["objects"]]
    scene_kinds = [o["category"] for o in image["objects"]]
    colours, kinds = colours.clone(), kinds.clone()
    for j in range(len(objects)):
        draw = int(torch.randint(0, 3, (1,), generator=generator))
        if draw == 1 and scene_colours.count(int(colours[j])) == 1:
            kinds[j] = UNKNOWN
        elif draw == 2 and scene_kinds.count(int(kinds[j])) == 1:
            colours[j] = UNKNOWN
    return colours, kinds


PIXEL_MODULES = ("model.out_mm_projector", "model.image_feature_neck", "model.mask_decoder", "model.prompt_encoder")
# Fixed by construction, never trained: SAM's random Fourier projection and LLaMA's rotary table.
FROZEN_SUFFIXES = ("gaussian_matrix", "inv_freq")


def parameters(weights, pixel):
    """The checkpoint tensors trained on the pixel side (pixel=True: everything between the tower
    and the prompts) or on the language side (pixel=False: embeddings, LLM, projector into it,
    text_hidden_fcs)."""
    return [t for name, t in weights.items()
            if name.startswith(PIXEL_MODULES) == pixel and not name.endswith(FROZEN_SUFFIXES)]


def pretrain(objective, oracle, steps, images_per_step, objects_per_image, lr, log, seed, levels=2, probe=None):
    """Phase 2 over the split of `objective`. levels=1 trains the decoder's first level alone:
    finding the object (matching the prompt's colour and kind to the image) is learned there, at
    about a third of the cost per mask; the second level refines its edges inside the first's
    mask. probe (scene_probe.SceneProbe): also asks the first level's features what object each
    patch belongs to."""
    model = objective.model
    trained = parameters(model.w, pixel=True)
    for t in trained:
        t.requires_grad_(True)
    params = trained + oracle.parameters() + (probe.parameters() if probe else [])
    optimizer = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), weight_decay=0.01)
    generator = torch.Generator().manual_seed(seed)
    started = time.time()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(lr, step, steps, warmup=30)
        bces, dices, probes = [], [], []
        for i in torch.randint(0, len(objective.split.images), (images_per_step,), generator=generator).tolist():
            count = len(objective.split.images[i]["objects"])
            objects = sorted(torch.randperm(count, generator=generator)[:objects_per_image].tolist())
            image = objective.split.images[i]
            colours, kinds = leave_out_unneeded(image, objects, *object_prompts(image, objects), generator)
            features = objective.decoder_features(i)
            if probe is not None:
                cells = features[0].flatten(1).T[None]  # the first level's [1, 1024, D]
                probes.append(probe.loss(cells, [objective.layout(i)], torch.ones(cells.shape[:2])))
            pred, gt = objective.decode(i, oracle(colours, kinds), objects, levels, features)
            bce, dice = mask_losses(pred, gt)
            bces.append(bce)
            dices.append(dice)
        bce, dice = torch.cat(bces).mean(), torch.cat(dices).mean()
        loss = 2.0 * bce + dice + (sum(probes) / len(probes) if probes else 0.0)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        if step % 20 == 0 or step == steps - 1:
            log({"phase": "decoder" if levels == 2 else "decoder level 0", "step": step, "seconds": round(time.time() - started, 1), "loss": loss.item(),
                 "bce": bce.item(), "dice": dice.item()})
    for t in params:
        t.requires_grad_(False)
