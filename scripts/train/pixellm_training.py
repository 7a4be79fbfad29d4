"""Phases 3 and 4: the LLM side, then everything after the frozen tower (projectors, neck, LLM,
text_hidden_fcs, mask decoder), teacher-forced on PixelLM's own objective: cross-entropy on the
answer tokens, BCE and Dice on the masks decoded from the hidden states that predicted each [SEGk]
token, and the distance of the fused prompts from the oracle prompts of phase 2.

The forward pass is the reference's (scripts/reference/pixellm_torch.py), the code the golden tests
hold the ONNX graphs to. One saving: the questions of an image share the prompt up to <im_end>
(system text and 256 image tokens), so that prefix runs once per image and the questions continue
from its keys and values; this is the same computation as running each full sequence."""
import math
import time

import torch
import torch.nn.functional as F

from data import CANVAS, canvas_mask
from decoder_pretraining import object_prompts
from optimisation import learning_rate, mask_losses
from scene_probe import PROBE_LAYER, SceneLayout

IMAGE_TOKEN = -200
LOSS_GRID = 224  # masks are compared on the 448 canvas at half resolution


class TrainingBatch:
    """Questions grouped by image: images[k] is a dataset image index, questions[j] = (k, prep
    question, chosen variant, the targets whose masks are decoded and scored this step)."""

    def __init__(self, images, questions):
        self.images = images
        self.questions = questions


def image_token_mask(clip_hw):
    """The LLM's 16×16 image-token validity: token (i, j) valid iff 28i < h' and 28j < w'."""
    starts = torch.arange(16) * 28
    return ((starts[:, None] < clip_hw[0]) & (starts[None, :] < clip_hw[1])).reshape(-1).float()


class Objective:
    """The teacher-forced forward pass over a split whose CLIP taps are computed already."""

    def __init__(self, model, split, features, clip_sizes, seg_ids, oracle=None, probe=None):
        """oracle (decoder_pretraining.OraclePrompts): when given, forward() also returns
        `distill`, the mean squared distance of the fused prompts from the oracle prompts of their
        targets. probe (scene_probe.SceneProbe): when given, forward() also returns `probe`, its
        loss on the LLM's image tokens."""
        self.model = model
        self.split = split
        self.features = features  # [images, 2, 1024, W] float16: hidden_states[-2], [-11] without CLS
        self.clip_sizes = clip_sizes
        self.seg_ids = torch.tensor(seg_ids)
        self.oracle = oracle
        self.probe = probe
        self.targets = {}
        self.layouts = {}

    def layout(self, image_index):
        """The image's objects on the loss grid (scene_probe.SceneLayout), computed once."""
        if image_index not in self.layouts:
            image = self.split.images[image_index]
            objects = list(range(len(image["objects"])))
            masks = torch.stack([self.target_mask(image_index, o) for o in objects])
            self.layouts[image_index] = SceneLayout(masks, *object_prompts(image, objects))
        return self.layouts[image_index]

    def target_mask(self, image_index, object_index):
        key = (image_index, object_index)
        if key not in self.targets:
            image = self.split.images[image_index]
            obj = image["objects"][object_index]
            mask = canvas_mask(obj["counts"], image["height"], image["width"], self.clip_sizes[image_index], LOSS_GRID)
            self.targets[key] = mask.half()
        return self.targets[key].float()

    def decoder_features(self, image_index):
        """The image's decoder features [2, D, 32, 32] (projector and neck on its taps)."""
        taps = self.features[image_index: image_index + 1].float()
        return self.model.decoder_features_from_taps(taps[:, 0], [taps[:, 1]])

    def decode(self, image_index, prompts, objects, levels=2, features=None):
        """Masks of `prompts` [N, 2, D] on one image against the masks of `objects` (object
        indices, one per prompt): -> (logits, ground truth) [N, rows, cols] on the 224 loss grid,
        cropped to the image. levels=1: the decoder's first level only (its 32×32 tokens; a mask
        costs about a third of one through both levels). `features`: decoder_features(image_index),
        if the caller has them already."""
        low_res = self.model.low_res_masks(prompts, self.decoder_features(image_index) if features is None else features, levels)
        pred = F.interpolate(low_res, (LOSS_GRID, LOSS_GRID), mode="bilinear", align_corners=False)[:, 0]
        gt = torch.stack([self.target_mask(image_index, o) for o in objects])
        h, w = self.clip_sizes[image_index]
        rows_valid = math.ceil(h * LOSS_GRID / CANVAS)
        cols_valid = math.ceil(w * LOSS_GRID / CANVAS)
        return pred[:, :rows_valid, :cols_valid], gt[:, :rows_valid, :cols_valid]

    def forward(self, batch, decode_masks=True, blind=False):
        """blind: the questions and answers do not see their prefix (system text and image), a
        warm-up that lets the LLM learn to carry each target's words into its [SEG] states (in
        the full ~330-token context, attention spread over the image tokens hides that signal:
        measured, the second scale's distillation loss did not move in 250 steps; after 150
        blind steps it fell from 0.39 to 0.09).
        -> cross-entropy, mean BCE and Dice of the scored masks (zero without decode_masks), the
        distillation loss (with an oracle), and (predicted logits, ground truth) of the scored
        masks on the 224 loss grid, cropped to the image."""
        m = self.model
        llm = m.llm
        embed = lambda ids: F.embedding(torch.tensor(ids), m.w["model.embed_tokens.weight"])  # noqa: E731
        feats = self.features[batch.images].float()
        selected, second = feats[:, 0], feats[:, 1]
        image_tokens = m.llm_image_tokens(selected)  # [K, 256, H]

        # The shared prefix: every prompt is identical up to <im_end>, the token after the image.
        prompts = [self.split.images[batch.images[k]]["questions"][q]["variants"][v]["prompt"] for k, q, v, _ in batch.questions]
        start = prompts[0].index(IMAGE_TOKEN)
        prefix_ids = prompts[0][: start + 2]
        assert all(p[: start + 2] == prefix_ids for p in prompts), "prompts differ before the question"
        prefix = torch.stack([
            torch.cat([embed(prefix_ids[:start]), image_tokens[k], embed(prefix_ids[start + 1: start + 2])])
            for k in range(len(batch.images))
        ])
        image_masks = torch.stack([image_token_mask(self.clip_sizes[i]) for i in batch.images])
        prefix_mask = torch.cat([torch.ones(len(batch.images), start), image_masks, torch.ones(len(batch.images), 1)], 1)
        layer_outputs = []
        _, _, past = llm.forward(prefix, prefix_mask, layer_outputs=layer_outputs)
        probe = torch.zeros([])
        if self.probe is not None:
            states = layer_outputs[PROBE_LAYER][:, start: start + image_tokens.shape[1]]
            probe = self.probe.loss(states, [self.layout(i) for i in batch.images], image_masks)

        # Each question continues from its image's prefix: rest of the prompt, then the answer.
        sequences, answer_starts, answers = [], [], []
        for (k, q, v, _), prompt in zip(batch.questions, prompts):
            answer = self.split.images[batch.images[k]]["questions"][q]["variants"][v]["answer"]
            rest = prompt[start + 2:]
            sequences.append(rest + answer[:-1])
            answer_starts.append(len(rest) - 1)  # the position that predicts answer[0]
            answers.append(answer)
        longest = max(len(s) for s in sequences)
        ids = torch.zeros(len(sequences), longest, dtype=torch.long)
        valid = torch.zeros(len(sequences), longest)
        for j, s in enumerate(sequences):
            ids[j, : len(s)] = torch.tensor(s)
            valid[j, : len(s)] = 1
        owner = torch.tensor([k for k, _, _, _ in batch.questions])
        past_q = [(key[owner], value[owner]) for key, value in past]
        seen_prefix = prefix_mask[owner] * (0.0 if blind else 1.0)
        hidden, logits, _ = llm.forward(F.embedding(ids, m.w["model.embed_tokens.weight"]), torch.cat([seen_prefix, valid], 1), past_q)

        rows, cols, labels = [], [], []
        for j, (a0, answer) in enumerate(zip(answer_starts, answers)):
            rows += [j] * len(answer)
            cols += list(range(a0, a0 + len(answer)))
            labels += answer
        rows, cols, labels = torch.tensor(rows), torch.tensor(cols), torch.tensor(labels)
        ce = F.cross_entropy(logits[rows, cols], labels)
        token_accuracy = (logits[rows, cols].argmax(-1) == labels).float().mean()

        # Hidden states that predicted a [SEGk] token, in order, 6 per target.
        is_seg = torch.isin(labels, self.seg_ids)
        seg_hidden = hidden[rows[is_seg], cols[is_seg]]
        per_question = [int(torch.isin(torch.tensor(a), self.seg_ids).sum()) for a in answers]
        fused_all = m.fuse(m.text_hidden_fcs(seg_hidden))  # [targets, 2, D]

        distill = torch.zeros([])
        if self.oracle is not None:
            images = [self.split.images[batch.images[k]] for k, _, _, _ in batch.questions]
            targets = [image["questions"][q]["targets"] for image, (_, q, _, _) in zip(images, batch.questions)]
            assert sum(map(len, targets)) == len(fused_all), "a question's [SEG] groups do not match its targets"
            oracle = torch.cat([self.oracle(*object_prompts(image, t)) for image, t in zip(images, targets)])
            distill = F.mse_loss(fused_all, oracle.detach())

        bce_sum, dice_sum, count, offset = 0.0, 0.0, 0, 0
        scored_masks = []
        targets_by_image = {k: [] for k in range(len(batch.images))}
        fused_by_image = {k: [] for k in range(len(batch.images))}
        for (k, q, _, scored), seg_count in zip(batch.questions, per_question):
            fused = fused_all[offset: offset + seg_count // 6]
            targets = self.split.images[batch.images[k]]["questions"][q]["targets"]
            fused_by_image[k].append(fused[scored])
            targets_by_image[k] += [targets[t] for t in scored]
            offset += seg_count // 6
        for k, image_index in enumerate(batch.images):
            if not decode_masks or not targets_by_image[k]:
                continue
            pred, gt = self.decode(image_index, torch.cat(fused_by_image[k]), targets_by_image[k])
            bce, dice = mask_losses(pred, gt)
            bce_sum = bce_sum + bce.sum()
            dice_sum = dice_sum + dice.sum()
            count += len(gt)
            scored_masks += list(zip(pred.detach(), gt))
        return {
            "ce": ce,
            "bce": bce_sum / max(count, 1),
            "dice": dice_sum / max(count, 1),
            "distill": distill,
            "probe": probe,
            "token_accuracy": token_accuracy.item(),
            "masks": scored_masks,
        }

class Trainer:
    """AdamW with warmup and cosine decay over `steps` on loss = Σ weights[k] · loss k. Without
    "bce" and "dice" in the weights, no mask is decoded (the LLM-only phase)."""

    def __init__(self, objective, lr, steps, warmup, weights, trainable, blind_steps=0):
        """blind_steps: the first steps run Objective.forward(blind=True)."""
        self.objective = objective
        self.blind_steps = blind_steps
        for t in trainable:
            t.requires_grad_(True)
        self.trainable = trainable
        self.optimizer = torch.optim.AdamW(trainable, lr=lr, betas=(0.9, 0.95), weight_decay=0.01)
        self.lr, self.steps, self.warmup, self.weights = lr, steps, warmup, weights

    def step(self, index, batch):
        lr = learning_rate(self.lr, index, self.steps, self.warmup)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        out = self.objective.forward(batch, decode_masks="bce" in self.weights or "dice" in self.weights,
                                     blind=index < self.blind_steps)
        loss = sum(weight * out[name] for name, weight in self.weights.items())
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.trainable, 1.0)
        self.optimizer.step()
        stats = {name: float(out[name]) for name in ("ce", "bce", "dice", "distill", "probe")}
        return {"loss": loss.item(), **stats, "lr": lr, "token_accuracy": out["token_accuracy"]}

    def finish(self):
        for t in self.trainable:
            t.requires_grad_(False)


def sample_batch(split, images_per_batch, questions_per_image, targets_per_question, generator):
    """Random images, random questions of each, the prompt with or without an evaluation suffix,
    and up to `targets_per_question` of each question's targets to decode: the decoder's level-1
    pass over 64×64 tokens per target dominates a step's cost, and a sample of the targets trains
    the same prompts (every target is scored in its turn over the epochs)."""
    images = torch.randperm(len(split.images), generator=generator)[:images_per_batch].tolist()
    questions = []
    for k, i in enumerate(images):
        image_questions = split.images[i]["questions"]
        for q in torch.randperm(len(image_questions), generator=generator)[:questions_per_image].tolist():
            variant = int(torch.randint(0, 2, (1,), generator=generator))
            targets = len(image_questions[q]["targets"])
            scored = sorted(torch.randperm(targets, generator=generator)[:targets_per_question].tolist())
            questions.append((k, q, variant, scored))
    return TrainingBatch(images, questions)


def validate(objective):
    """Teacher-forced mask IoU (binarised at 0, on the 224 grid) of every target of every question,
    and the answer-token accuracy: a quick reading of progress; the real metric is `pixellm eval`."""
    ious, accuracies = [], []
    with torch.no_grad():
        for i, image in enumerate(objective.split.images):
            questions = [(0, q, 1, list(range(len(question["targets"])))) for q, question in enumerate(image["questions"])]
            out = objective.forward(TrainingBatch([i], questions))
            accuracies.append(out["token_accuracy"])
            for pred, gt in out["masks"]:
                p, t = pred > 0, gt > 0.5
                union = (p | t).sum().item()
                ious.append((p & t).sum().item() / union if union else 1.0)
    return {"val_mask_iou": sum(ious) / len(ious), "val_token_accuracy": sum(accuracies) / len(accuracies)}


def train(trainer, split, steps, batch_shape, log, seed, validation=None, validate_every=0, phase="pixellm"):
    """batch_shape: (images, questions per image, targets per question)."""
    generator = torch.Generator().manual_seed(seed)
    started = time.time()
    for index in range(steps):
        stats = trainer.step(index, sample_batch(split, *batch_shape, generator))
        if index % 20 == 0 or index == steps - 1:
            log({"phase": phase, "step": index, "seconds": round(time.time() - started, 1), **stats})
        if validation is not None and validate_every and ((index + 1) % validate_every == 0 or index == steps - 1):
            log({"phase": f"{phase} validation", "step": index, **validate(validation)})
    trainer.finish()
