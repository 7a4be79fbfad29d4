#!/usr/bin/env python3
"""Independent reference of the MUSE metric of @pixellm/muse (numpy + scipy only).

Written from the official code (MaverickRen/PixelLM @ ebf0792: train_ds.py `ar_validate`,
utils/matcher.py `match_pred`, utils/utils.py `intersectionAndUnionGPU` and `AverageMeter`)
with the two documented departures of packages/muse (README "Evaluation"):
- the matching cost is taken over every pixel of the masks instead of 12,544 random points;
- predictions are binary masks, so the sigmoid probabilities are 0/1 and the BCE log terms take
  torch's clamp at -100;
and its tie rule: among assignments within 1e-9 of the minimum cost, the first item of the
smaller side (predictions when both sides are equal) gets the lowest-numbered partner, and so on.

usage: muse_metric.py CASES.json  (prints the results as JSON on stdout)

CASES.json: {"cases": [{"name": ..., "records": [{"questions": [{"predictions": [MASK, ...],
"targets": [MASK, ...]}, ...]}, ...]}, ...]} with MASK a list of rows of integers (predictions
0/1, targets the per-pixel part counts of the official loader).
"""
import json
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment

TIE_TOLERANCE = 1e-9


def match_cost(pred, tgt):
    """batch_sigmoid_ce_loss + batch_dice_loss on whole flattened masks, p = binary prediction."""
    hw = pred.shape[1]
    with np.errstate(divide="ignore"):
        pos = -np.maximum(np.log(pred), -100.0)
        neg = -np.maximum(np.log(1.0 - pred), -100.0)
    ce = (pos @ tgt.T + neg @ (1.0 - tgt).T) / hw
    numerator = 2.0 * (pred @ tgt.T)
    denominator = pred.sum(-1)[:, None] + tgt.sum(-1)[None, :]
    dice = 1.0 - (numerator + 1.0) / (denominator + 1.0)
    return ce + dice


def min_cost(cost, rows, cols):
    if not rows:
        return 0.0
    sub = cost[np.ix_(rows, cols)]
    r, c = linear_sum_assignment(sub)
    order = np.argsort(r)
    return float(sum(sub[r[k], c[k]] for k in order))


def canonical_assignment(cost):
    """rows <= cols: the column of each row under the tie rule."""
    n, m = cost.shape
    rows = list(range(n))
    best = min_cost(cost, rows, list(range(m)))
    chosen = []
    fixed = 0.0
    for row in rows:
        free = [c for c in range(m) if c not in chosen]
        for c in free:
            rest = min_cost(cost, rows[row + 1:], [f for f in free if f != c])
            if fixed + cost[row, c] + rest <= best + TIE_TOLERANCE:
                chosen.append(c)
                fixed += cost[row, c]
                break
        else:
            raise AssertionError("no optimal completion")
    return chosen


def match_pred(preds, tgts):
    """(prediction indices ascending, target indices) like linear_sum_assignment's output."""
    if len(preds) == 0 or len(tgts) == 0:
        return [], []
    cost = match_cost(np.array(preds), np.array(tgts))
    if cost.shape[0] <= cost.shape[1]:
        pairs = [(r, c) for r, c in enumerate(canonical_assignment(cost))]
    else:
        pairs = [(c, r) for r, c in enumerate(canonical_assignment(cost.T))]
    pairs.sort()
    return [p for p, _ in pairs], [t for _, t in pairs]


def intersection_and_union(output, target, k=2, ignore_index=255):
    """intersectionAndUnionGPU with numpy: histc(bins=K, min=0, max=K-1) == histogram over [0, K-1]."""
    output = output.reshape(-1).astype(np.float64).copy()
    target = target.reshape(-1).astype(np.float64)
    output[target == ignore_index] = ignore_index
    intersection = output[output == target]
    hist = lambda x: np.histogram(x, bins=k, range=(0, k - 1))[0].astype(np.float64)
    area_intersection = hist(intersection)
    area_union = hist(output) + hist(target) - area_intersection
    return area_intersection, area_union


def score_record(record):
    """One image of ar_validate: pairs of every question, then acc_iou / max_num and the meters."""
    questions = []
    n_pred = n_gt = 0
    for question in record["questions"]:
        preds = [np.array(m, dtype=np.float64) for m in question["predictions"]]
        tgts = [np.array(m, dtype=np.float64) for m in question["targets"]]
        shape = (preds + tgts)[0].shape if preds + tgts else (0, 0)
        pi, ti = match_pred([p.reshape(-1) for p in preds], [t.reshape(-1) for t in tgts])
        pairs = [(p, t) for p, t in zip(pi, ti)]
        pairs += [(None, t) for t in range(len(tgts)) if t not in ti]
        pairs += [(p, None) for p in range(len(preds)) if p not in pi]
        scored = []
        for p, t in pairs:
            out = (preds[p] > 0).astype(np.int64) if p is not None else np.zeros(shape)
            gt = tgts[t] if t is not None else np.zeros(shape)
            inter, union = intersection_and_union(out, gt)
            iou = inter / (union + 1e-5)
            iou[union == 0] += 1.0
            scored.append({"prediction": p, "target": t, "intersection": float(inter[1]),
                           "union": float(union[1]), "iou": float(iou[1])})
        questions.append(scored)
        n_pred += len(preds)
        n_gt += len(tgts)
    return questions, max(n_pred, n_gt)


def score_case(case):
    giou_sum = giou_count = inter_sum = union_sum = 0.0
    questions = []
    for record in case["records"]:
        scored, max_num = score_record(record)
        questions.extend(scored)
        if max_num == 0:
            continue
        acc = sum(pair["iou"] for q in scored for pair in q)
        giou_sum += acc / max_num * max_num
        giou_count += max_num
        inter_sum += sum(pair["intersection"] for q in scored for pair in q)
        union_sum += sum(pair["union"] for q in scored for pair in q)
    return {
        "name": case["name"],
        "gIoU": giou_sum / (giou_count + 1e-5),
        "cIoU": inter_sum / (union_sum + 1e-10),
        "questions": questions,
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    json.dump({"cases": [score_case(c) for c in cases]}, sys.stdout)


if __name__ == "__main__":
    main()
