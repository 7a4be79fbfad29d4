"""Phase 1: pretrain the CLIP tower on the scenes, cheaply. A full forward and backward at 1,025
tokens costs about a second per image here, so the tower trains on 16×16-patch windows of the
448 canvas (257 tokens with CLS, 16× less attention), with the real position table and padding
mask, to predict dense scene labels from both taps PixelLM reads: hidden_states[-11] (fine: which
sub-patch cells belong to the object under the patch centre, and which are foreground) and
hidden_states[-2] (also kind, colour, offset to the object's centre and its size). The label heads
are thrown away; the tower is then frozen."""
import math
import time

import torch
import torch.nn.functional as F

from scene_labels import stack_targets

WINDOW = 16
GRID = 32
KINDS = 6  # background + 5 shapes
COLOURS = 11  # background + 10 colours
SUB = 32  # 16 same-object cells + 16 foreground cells


def window_tokens(clip_hw, generator):
    """A random 16×16 patch window inside the image's patch grid: (rows, cols, token indices)."""
    h, w = clip_hw
    grid_h, grid_w = math.ceil(h / 14), math.ceil(w / 14)
    top = int(torch.randint(0, max(1, grid_h - WINDOW + 1), (1,), generator=generator))
    left = int(torch.randint(0, max(1, grid_w - WINDOW + 1), (1,), generator=generator))
    rr, cc = torch.meshgrid(torch.arange(top, top + WINDOW), torch.arange(left, left + WINDOW), indexing="ij")
    rows, cols = rr.reshape(-1), cc.reshape(-1)
    # token 0 is CLS; patch (r, c) is token 1 + 32r + c
    return rows, cols, torch.cat([torch.zeros(1, dtype=torch.long), 1 + rows * GRID + cols])


def pretrain(tower, clip_weights, images, labels, steps, batch, lr, log, seed):
    """images: list of (pixels [3,448,448], (h', w')); labels: list of SceneLabels."""
    width = tower.width
    heads = {
        "fine": torch.zeros(SUB, width).normal_(0, 0.02).requires_grad_(),
        "fine_b": torch.zeros(SUB).requires_grad_(),
        "deep": torch.zeros(KINDS + COLOURS + SUB + 3, width).normal_(0, 0.02).requires_grad_(),
        "deep_b": torch.zeros(KINDS + COLOURS + SUB + 3).requires_grad_(),
    }
    trained = [v for k, v in clip_weights.items() if "post_layernorm" not in k]
    for t in trained:
        t.requires_grad_(True)
    optimizer = torch.optim.AdamW(trained + list(heads.values()), lr=lr, weight_decay=0.01)
    generator = torch.Generator().manual_seed(seed)
    deep_tap = tower.layers - 1  # hidden_states[-2]
    fine_tap = tower.layers - 10  # hidden_states[-11]
    started = time.time()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * step / steps))
        picks = torch.randint(0, len(images), (batch,), generator=generator).tolist()
        pixels = torch.stack([images[i][0] for i in picks])
        windows = [window_tokens(images[i][1], generator) for i in picks]
        tokens = torch.stack([w[2] for w in windows])
        valid = torch.stack([
            torch.cat([torch.ones(1), ((w[0] * 14 < images[i][1][0]) & (w[1] * 14 < images[i][1][1])).float()])
            for i, w in zip(picks, windows)
        ])
        embedded = tower.embed(pixels)
        embedded = torch.gather(embedded, 1, tokens[:, :, None].expand(-1, -1, width))
        states = tower.encode(embedded, valid, layers=deep_tap)
        fine = states[fine_tap][:, 1:].reshape(-1, width)
        deep = states[deep_tap][:, 1:].reshape(-1, width)
        t = stack_targets([labels[i].patch_targets(w[0], w[1]) for i, w in zip(picks, windows)])
        keep = valid[:, 1:].reshape(-1) > 0
        fine_out = F.linear(fine, heads["fine"], heads["fine_b"])[keep]
        deep_out = F.linear(deep, heads["deep"], heads["deep_b"])[keep]
        t = {k: v[keep] for k, v in t.items()}
        kind = F.cross_entropy(deep_out[:, :KINDS], t["kind"])
        colour = F.cross_entropy(deep_out[:, KINDS: KINDS + COLOURS], t["colour"])
        sub = F.binary_cross_entropy_with_logits(fine_out, t["sub"]) + F.binary_cross_entropy_with_logits(
            deep_out[:, KINDS + COLOURS: KINDS + COLOURS + SUB], t["sub"]
        )
        geometry_out = deep_out[:, KINDS + COLOURS + SUB:][t["is_object"]]
        geometry_target = torch.cat([t["offset"], t["log_area"][:, None]], 1)[t["is_object"]]
        geometry = F.smooth_l1_loss(geometry_out, geometry_target) if len(geometry_out) else deep_out.sum() * 0
        loss = kind + colour + sub + geometry
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimizer.step()
        if step % 20 == 0 or step == steps - 1:
            log({"phase": "vision", "step": step, "seconds": round(time.time() - started, 1), "loss": loss.item(),
                 "kind": kind.item(), "colour": colour.item(), "sub": sub.item(), "geometry": geometry.item()})
    for t in trained:
        t.requires_grad_(False)
