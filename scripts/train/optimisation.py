"""What every training phase shares: PixelLM's mask loss and the learning-rate schedule."""
import math

import torch.nn.functional as F


def mask_losses(pred, gt):
    """Per-mask BCE (mean over pixels) and Dice loss of logits `pred` against soft targets `gt`,
    both [N, rows, cols], as PixelLM's training computes them."""
    bce = F.binary_cross_entropy_with_logits(pred, gt, reduction="none").mean((1, 2))
    p = pred.sigmoid()
    dice = 1 - (2 * (p * gt).sum((1, 2)) + 1) / (p.sum((1, 2)) + gt.sum((1, 2)) + 1)
    return bce, dice


def learning_rate(peak, step, steps, warmup):
    """Linear warm-up over `warmup` steps, then cosine decay to zero at `steps`."""
    return peak * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / steps))
