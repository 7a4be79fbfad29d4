#!/usr/bin/env python3
"""Trains the demo PixelLM from scratch on the synthetic MUSE data prepared by prepare.ts and
writes its checkpoint in the official layout (WORK/checkpoint/model.safetensors beside the configs
and tokenizer files prepare.ts wrote, and WORK/vision-tower/model.safetensors). Recipe and loss
curve: scripts/train/README.md.

usage: train.py --work WORK [--seed 0] [--vision-steps N] [--steps N] [--threads 2]
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))

import pixellm_torch as reference  # noqa: E402
from data import Split, load_image  # noqa: E402
from pixellm_training import Objective, Trainer, train  # noqa: E402
from scene_labels import SceneLabels  # noqa: E402
from vision_pretraining import pretrain  # noqa: E402
from weights import create, write_safetensors  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vision-steps", type=int, default=300)
    parser.add_argument("--vision-batch", type=int, default=24)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--images-per-batch", type=int, default=2)
    parser.add_argument("--questions-per-image", type=int, default=6)
    parser.add_argument("--targets-per-question", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--validate-images", type=int, default=0, help="val images for the progress reading")
    parser.add_argument("--validate-every", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.time()
    curve = []

    def log(entry):
        entry["elapsed"] = round(time.time() - started, 1)
        curve.append(entry)
        print(json.dumps(entry), flush=True)

    checkpoint_dir = os.path.join(args.work, "checkpoint")
    tower_dir = os.path.join(args.work, "vision-tower")
    with open(os.path.join(checkpoint_dir, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(tower_dir, "config.json")) as f:
        clip_cfg = json.load(f)
    with open(os.path.join(args.work, "prep", "tokens.json")) as f:
        tokens = json.load(f)
    llm_w, clip_w = create(os.path.join(args.work, "layout.json"), args.seed)
    model = reference.PixelLM(llm_w, cfg, clip_w, clip_cfg)
    split = Split(os.path.join(args.work, "prep", "train.json"))

    # Images are decoded and resized once; the 448 canvases stay in memory as uint8-range floats.
    images = [load_image(image["file"]) for image in split.images]
    clip_sizes = [hw for _, hw in images]
    log({"phase": "load", "images": len(images), "questions": len(split.questions)})

    labels = [SceneLabels(image, hw) for image, hw in zip(split.images, clip_sizes)]
    pretrain(model.clip, clip_w, images, labels, args.vision_steps, args.vision_batch, args.lr, log, args.seed)

    # Frozen tower: both taps of every image, computed once.
    features = tower_features(model.clip, images)
    log({"phase": "features", "images": len(images)})
    validation = None
    if args.validate_images:
        val_split = Split(os.path.join(args.work, "prep", "val.json"))
        val_split.images = val_split.images[: args.validate_images]
        val_images = [load_image(image["file"]) for image in val_split.images]
        validation = Objective(model, val_split, tower_features(model.clip, val_images), [hw for _, hw in val_images], tokens["seg"])

    objective = Objective(model, split, features, clip_sizes, tokens["seg"])
    trainer = Trainer(objective, args.lr, args.steps, warmup=60)
    batch_shape = (args.images_per_batch, args.questions_per_image, args.targets_per_question)
    train(trainer, split, args.steps, batch_shape, log, args.seed, validation, args.validate_every)

    write_safetensors(os.path.join(checkpoint_dir, "model.safetensors"), llm_w)
    write_safetensors(os.path.join(tower_dir, "model.safetensors"), clip_w)
    with open(os.path.join(args.work, "loss-curve.json"), "w") as f:
        json.dump(curve, f)
    log({"phase": "done", "checkpoint": checkpoint_dir, "vision_tower": tower_dir})


def tower_features(tower, images):
    """[images, 2, 1024, W] float16: hidden_states[-2] and [-11] without CLS (of 11 layers, the
    10th and the 1st; the 11th is never computed)."""
    features = torch.empty(len(images), 2, 1024, tower.width, dtype=torch.float16)
    with torch.no_grad():
        for start in range(0, len(images), 16):
            chunk = images[start: start + 16]
            pixels = torch.stack([p for p, _ in chunk])
            key_mask = torch.stack([torch.cat([torch.ones(1), image_patch_mask(hw).reshape(-1)]) for _, hw in chunk])
            states = tower.encode(tower.embed(pixels), key_mask, layers=tower.layers - 1)
            features[start: start + len(chunk), 0] = states[tower.layers - 1][:, 1:].half()
            features[start: start + len(chunk), 1] = states[tower.layers - 10][:, 1:].half()
    return features


def image_patch_mask(clip_hw):
    """CLIP's 32×32 key mask: patch (i, j) valid iff 14i < h' and 14j < w'."""
    starts = torch.arange(32) * 14
    return ((starts[:, None] < clip_hw[0]) & (starts[None, :] < clip_hw[1])).float()


if __name__ == "__main__":
    main()
