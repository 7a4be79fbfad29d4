#!/usr/bin/env python3
"""Independent PyTorch forward pass of PixelLM, the golden side of @pixellm/reference's cross-check.

Written from the official code (MaverickRen/PixelLM @ ebf0792: model/PixelLM.py evaluate and
model_forward, llava_arch.py, clip_encoder.py, custom_clip.py, segment_anything/modeling) and
transformers 4.31 (CLIP vision model, LLaMA), keeping their order of operations in float32.
Needs only torch and numpy: safetensors are parsed here, transformers is not imported.

Deliberate departures, each forced by the tiny test widths:
- the mask decoder width is config.out_dim (the official code hard-codes 256, including the
  repeat_interleave(..., 256) of the level-1 modulation, which is a broadcast over channels);
- heads / MLP width / depth of the two-way transformers come from the mask_decoder_* config fields.

usage: pixellm_torch.py --checkpoint DIR --vision-tower DIR --input input.json --out DIR
"""
import argparse
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

IMAGE_TOKEN_INDEX = -200
LOW_RES = 128  # evaluate(): out_size = 128
LLM_GRID = 16  # prepare_inputs_labels_for_multimodal: F.interpolate(..., size=(16, 16))
SCALES = 2  # image_feature_scale_num
MASK_TOKENS = 4  # num_multimask_outputs + 1


# ---------------------------------------------------------------------------------------------
# safetensors

def read_safetensors(path):
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        body = f.read()
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        raw = body[start:end]
        dtype = meta["dtype"]
        if dtype == "F32":
            array = np.frombuffer(raw, dtype="<f4").copy()
        elif dtype == "F16":
            array = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":
            array = (np.frombuffer(raw, dtype="<i2").astype(np.int32) << 16).view(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        tensors[name] = torch.from_numpy(array.reshape(meta["shape"]))
    return tensors


def load_dir(path):
    index = os.path.join(path, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        tensors = {}
        for shard in shards:
            tensors.update(read_safetensors(os.path.join(path, shard)))
        return tensors
    return read_safetensors(os.path.join(path, "model.safetensors"))


# ---------------------------------------------------------------------------------------------
# CLIP vision tower (custom_clip.py _CLIPVisionTransformer over HF CLIP 4.31)

def expand_mask(mask, dtype, tgt_len=None):
    bsz, src_len = mask.size()
    tgt_len = tgt_len if tgt_len is not None else src_len
    expanded = mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(dtype)
    inverted = 1.0 - expanded
    return inverted.masked_fill(inverted.to(torch.bool), torch.finfo(dtype).min)


class ClipTower:
    def __init__(self, w, cfg, resize_to):
        self.w = w
        self.cfg = cfg
        self.patch = cfg["patch_size"]
        self.width = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.layers = cfg["num_hidden_layers"]
        self.eps = cfg.get("layer_norm_eps", 1e-5)
        self.act = cfg.get("hidden_act", "quick_gelu")
        self.resize_to = resize_to
        self.position_ids = torch.arange((resize_to // self.patch) ** 2 + 1).expand((1, -1))

    @property
    def position_table(self):
        """clip_encoder.py load_model, resize_vision_tower branch, literally (off-by-one included).
        Rebuilt from the current weights on every use, so that training the table trains this."""
        num_patches = (self.cfg["image_size"] // self.patch) ** 2
        origin_p_num = int(num_patches ** 0.5)
        new_p_num = self.resize_to // self.patch
        old = self.w["vision_model.embeddings.position_embedding.weight"]
        old_cls = old[-1:]
        grid = old[:-1].permute(1, 0).reshape(1, self.width, origin_p_num, origin_p_num)
        new = F.interpolate(grid, (new_p_num, new_p_num), mode="bilinear", align_corners=False)[0]
        new = new.flatten(-2).permute(1, 0)
        return torch.cat((new, old_cls), dim=0)

    def p(self, name):
        return self.w["vision_model." + name]

    def forward(self, pixel_values, attention_mask):
        return self.encode(self.embed(pixel_values), attention_mask)

    def embed(self, pixel_values):
        """Patch embeddings, CLS, positions, pre_layrnorm: [B, 1025, W], hidden_states[0]."""
        b = pixel_values.shape[0]
        patch_embeds = F.conv2d(pixel_values, self.p("embeddings.patch_embedding.weight"), stride=self.patch)
        patch_embeds = patch_embeds.flatten(2).transpose(1, 2)
        class_embeds = self.p("embeddings.class_embedding").expand(b, 1, -1)
        h = torch.cat([class_embeds, patch_embeds], dim=1)
        h = h + F.embedding(self.position_ids, self.position_table)
        return F.layer_norm(h, (self.width,), self.p("pre_layrnorm.weight"), self.p("pre_layrnorm.bias"), self.eps)

    def encode(self, h, attention_mask, layers=None):
        """The encoder layers over embedded tokens h [B, T, W] with key mask [B, T]; returns
        hidden_states (embeddings first). `layers` stops early: later states are unused."""
        mask = expand_mask(attention_mask, h.dtype)
        hidden_states = [h]
        head_dim = self.width // self.heads
        scale = head_dim ** -0.5
        for i in range(self.layers if layers is None else layers):
            pre = f"encoder.layers.{i}."
            lw = lambda n: self.p(pre + n)  # noqa: E731
            residual = h
            x = F.layer_norm(h, (self.width,), lw("layer_norm1.weight"), lw("layer_norm1.bias"), self.eps)
            bsz, tgt_len, _ = x.size()
            q = F.linear(x, lw("self_attn.q_proj.weight"), lw("self_attn.q_proj.bias")) * scale
            k = F.linear(x, lw("self_attn.k_proj.weight"), lw("self_attn.k_proj.bias"))
            v = F.linear(x, lw("self_attn.v_proj.weight"), lw("self_attn.v_proj.bias"))

            def shape(t):
                return t.view(bsz, tgt_len, self.heads, head_dim).transpose(1, 2).contiguous()

            proj_shape = (bsz * self.heads, -1, head_dim)
            q = shape(q).view(*proj_shape)
            k = shape(k).view(*proj_shape)
            v = shape(v).view(*proj_shape)
            attn = torch.bmm(q, k.transpose(1, 2))
            attn = attn.view(bsz, self.heads, tgt_len, tgt_len) + mask
            attn = attn.view(bsz * self.heads, tgt_len, tgt_len)
            attn = F.softmax(attn, dim=-1)
            out = torch.bmm(attn, v)
            out = out.view(bsz, self.heads, tgt_len, head_dim).transpose(1, 2).reshape(bsz, tgt_len, self.width)
            out = F.linear(out, lw("self_attn.out_proj.weight"), lw("self_attn.out_proj.bias"))
            h = residual + out
            residual = h
            x = F.layer_norm(h, (self.width,), lw("layer_norm2.weight"), lw("layer_norm2.bias"), self.eps)
            x = F.linear(x, lw("mlp.fc1.weight"), lw("mlp.fc1.bias"))
            x = x * torch.sigmoid(1.702 * x) if self.act == "quick_gelu" else F.gelu(x)
            x = F.linear(x, lw("mlp.fc2.weight"), lw("mlp.fc2.bias"))
            h = residual + x
            hidden_states.append(h)
        return hidden_states


# ---------------------------------------------------------------------------------------------
# LLaMA (transformers 4.31 LlamaModel, full sequence, no cache)

def rms_norm(x, weight, eps):
    input_dtype = x.dtype
    variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
    x = x * torch.rsqrt(variance + eps)
    return weight * x.to(input_dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    batch, kv_heads, slen, head_dim = x.shape
    if n_rep == 1:
        return x
    x = x[:, :, None, :, :].expand(batch, kv_heads, n_rep, slen, head_dim)
    return x.reshape(batch, kv_heads * n_rep, slen, head_dim)


class Llama:
    def __init__(self, w, cfg):
        self.w = w
        self.cfg = cfg
        self.h = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg.get("num_key_value_heads", self.heads)
        self.head_dim = self.h // self.heads
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        base = cfg.get("rope_theta", 10000)
        max_pos = cfg.get("max_position_embeddings", 2048)
        inv_freq = 1.0 / (base ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))
        t = torch.arange(max_pos, dtype=inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.cos_cached = emb.cos()[None, None, :, :]
        self.sin_cached = emb.sin()[None, None, :, :]

    def embed(self, ids):
        return F.embedding(ids, self.w["model.embed_tokens.weight"])

    def forward(self, inputs_embeds, attention_mask, past_key_values=None, layer_outputs=None):
        """inputs_embeds [B, S, H] after `past_key_values` (per layer (k, v) [B, kv_heads, P, d], or
        None); attention_mask [B, P+S] covers both. Returns the post-norm hidden states [B, S, H],
        the logits [B, S, V] and the layers' (k, v) over all P+S positions. A list given as
        `layer_outputs` receives each layer's output [B, S, H] (training probes read them)."""
        bsz, seq, _ = inputs_embeds.shape
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        dtype = inputs_embeds.dtype
        position_ids = torch.arange(past, past + seq, dtype=torch.long).unsqueeze(0).view(-1, seq)
        # _prepare_decoder_attention_mask: causal mask (queries see the past and themselves) + padding
        causal = torch.full((seq, seq), torch.finfo(dtype).min)
        cond = torch.arange(causal.size(-1))
        causal.masked_fill_(cond < (cond + 1).view(causal.size(-1), 1), 0)
        causal = torch.cat([torch.zeros(seq, past, dtype=dtype), causal], dim=-1)
        causal = causal[None, None, :, :].expand(bsz, 1, seq, past + seq)
        combined = expand_mask(attention_mask, dtype, tgt_len=seq) + causal
        cos = self.cos_cached[:, :, : past + seq].squeeze(1).squeeze(0)[position_ids].unsqueeze(1)
        sin = self.sin_cached[:, :, : past + seq].squeeze(1).squeeze(0)[position_ids].unsqueeze(1)
        h = inputs_embeds
        present = []
        for i in range(self.cfg["num_hidden_layers"]):
            lw = lambda n: self.w[f"model.layers.{i}.{n}"]  # noqa: E731
            residual = h
            x = rms_norm(h, lw("input_layernorm.weight"), self.eps)
            q = F.linear(x, lw("self_attn.q_proj.weight")).view(bsz, seq, self.heads, self.head_dim).transpose(1, 2)
            k = F.linear(x, lw("self_attn.k_proj.weight")).view(bsz, seq, self.kv_heads, self.head_dim).transpose(1, 2)
            v = F.linear(x, lw("self_attn.v_proj.weight")).view(bsz, seq, self.kv_heads, self.head_dim).transpose(1, 2)
            q = (q * cos) + (rotate_half(q) * sin)
            k = (k * cos) + (rotate_half(k) * sin)
            if past_key_values is not None:
                k = torch.cat([past_key_values[i][0], k], dim=2)
                v = torch.cat([past_key_values[i][1], v], dim=2)
            present.append((k, v))
            k = repeat_kv(k, self.heads // self.kv_heads)
            v = repeat_kv(v, self.heads // self.kv_heads)
            attn = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
            attn = attn + combined
            attn = torch.max(attn, torch.tensor(torch.finfo(attn.dtype).min))
            attn = F.softmax(attn, dim=-1, dtype=torch.float32).to(q.dtype)
            out = torch.matmul(attn, v).transpose(1, 2).contiguous().reshape(bsz, seq, self.h)
            h = residual + F.linear(out, lw("self_attn.o_proj.weight"))
            residual = h
            x = rms_norm(h, lw("post_attention_layernorm.weight"), self.eps)
            mlp = F.linear(
                F.silu(F.linear(x, lw("mlp.gate_proj.weight"))) * F.linear(x, lw("mlp.up_proj.weight")),
                lw("mlp.down_proj.weight"),
            )
            h = residual + mlp
            if layer_outputs is not None:
                layer_outputs.append(h)
        h = rms_norm(h, self.w["model.norm.weight"], self.eps)
        logits = F.linear(h, self.w["lm_head.weight"])
        return h, logits, present


# ---------------------------------------------------------------------------------------------
# SAM-style decoder modules (segment_anything/modeling), width = out_dim

def layer_norm_2d(x, weight, bias, eps=1e-6):
    u = x.mean(1, keepdim=True)
    s = (x - u).pow(2).mean(1, keepdim=True)
    x = (x - u) / torch.sqrt(s + eps)
    return weight[:, None, None] * x + bias[:, None, None]


def pe_random(gaussian, size):
    h, w = size
    grid = torch.ones((h, w), dtype=gaussian.dtype)
    y_embed = grid.cumsum(dim=0) - 0.5
    x_embed = grid.cumsum(dim=1) - 0.5
    y_embed = y_embed / h
    x_embed = x_embed / w
    coords = torch.stack([x_embed, y_embed], dim=-1)
    coords = 2 * coords - 1
    coords = coords @ gaussian
    coords = 2 * np.pi * coords
    pe = torch.cat([torch.sin(coords), torch.cos(coords)], dim=-1)
    return pe.permute(2, 0, 1)


def sam_attention(w, prefix, heads, q, k, v):
    def lin(name, x):
        return F.linear(x, w[f"{prefix}.{name}.weight"], w[f"{prefix}.{name}.bias"])

    q = lin("q_proj", q)
    k = lin("k_proj", k)
    v = lin("v_proj", v)

    def separate(x):
        b, n, c = x.shape
        return x.reshape(b, n, heads, c // heads).transpose(1, 2)

    q, k, v = separate(q), separate(k), separate(v)
    _, _, _, c_per_head = q.shape
    attn = q @ k.permute(0, 1, 3, 2)
    attn = attn / math.sqrt(c_per_head)
    attn = torch.softmax(attn, dim=-1)
    out = attn @ v
    b, n_heads, n_tokens, c_per_head = out.shape
    out = out.transpose(1, 2).reshape(b, n_tokens, n_heads * c_per_head)
    return lin("out_proj", out)


def two_way_transformer(w, prefix, cfg, image_embedding, image_pe, point_embedding):
    heads = cfg["mask_decoder_num_heads"]
    width = cfg["out_dim"]

    def ln(name, x):
        return F.layer_norm(x, (width,), w[f"{name}.weight"], w[f"{name}.bias"], 1e-5)

    bs, c, h, wd = image_embedding.shape
    image_embedding = image_embedding.flatten(2).permute(0, 2, 1)
    image_pe = image_pe.flatten(2).permute(0, 2, 1)
    queries = point_embedding
    keys = image_embedding
    for j in range(cfg["mask_decoder_depth"]):
        b = f"{prefix}.layers.{j}"
        query_pe, key_pe = point_embedding, image_pe
        if j == 0:  # skip_first_layer_pe
            queries = sam_attention(w, f"{b}.self_attn", heads, queries, queries, queries)
        else:
            q = queries + query_pe
            queries = queries + sam_attention(w, f"{b}.self_attn", heads, q, q, queries)
        queries = ln(f"{b}.norm1", queries)
        q = queries + query_pe
        k = keys + key_pe
        queries = queries + sam_attention(w, f"{b}.cross_attn_token_to_image", heads, q, k, keys)
        queries = ln(f"{b}.norm2", queries)
        mlp = F.linear(
            F.relu(F.linear(queries, w[f"{b}.mlp.lin1.weight"], w[f"{b}.mlp.lin1.bias"])),
            w[f"{b}.mlp.lin2.weight"],
            w[f"{b}.mlp.lin2.bias"],
        )
        queries = queries + mlp
        queries = ln(f"{b}.norm3", queries)
        q = queries + query_pe
        k = keys + key_pe
        keys = keys + sam_attention(w, f"{b}.cross_attn_image_to_token", heads, k, q, queries)
        keys = ln(f"{b}.norm4", keys)
    q = queries + point_embedding
    k = keys + image_pe
    queries = queries + sam_attention(w, f"{prefix}.final_attn_token_to_image", heads, q, k, keys)
    queries = ln(f"{prefix}.norm_final_attn", queries)
    return queries, keys


def conv_transpose_2x2(x, weight, bias):
    """ConvTranspose2d(kernel 2, stride 2): output pixels never overlap, so it is one linear map
    per input pixel, [Cin] → [Cout, 2, 2], followed by a pixel shuffle. Written as that matmul,
    whose backward is far cheaper than conv_transpose2d's on CPU; the values are the same."""
    n, cin, h, wd = x.shape
    cout = weight.shape[1]
    y = x.permute(0, 2, 3, 1).reshape(-1, cin) @ weight.reshape(cin, cout * 4)
    y = y.view(n, h, wd, cout, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(n, cout, 2 * h, 2 * wd)
    return y + bias[None, :, None, None]


def upscale(w, prefix, x):
    x = conv_transpose_2x2(x, w[f"{prefix}.0.weight"], w[f"{prefix}.0.bias"])
    x = layer_norm_2d(x, w[f"{prefix}.1.weight"], w[f"{prefix}.1.bias"])
    return F.gelu(x)


def mlp3(w, prefix, x):
    for i in range(3):
        x = F.linear(x, w[f"{prefix}.layers.{i}.weight"], w[f"{prefix}.layers.{i}.bias"])
        if i < 2:
            x = F.relu(x)
    return x


def predict_masks(w, cfg, image_embeddings, image_pe, sparse, dense, level_num, previous_masks):
    md = "model.mask_decoder"
    output_tokens = torch.cat([w[f"{md}.iou_token.weight"], w[f"{md}.mask_tokens.weight"]], dim=0)
    output_tokens = output_tokens.unsqueeze(0).expand(sparse.size(0), -1, -1)
    tokens = torch.cat((output_tokens, sparse), dim=1)
    level = torch.tensor([level_num], dtype=torch.long).expand((tokens.size(0), 1))
    tokens = tokens + F.embedding(level, w[f"{md}.level_embed.weight"])
    # official: repeat_interleave(image_embeddings, N) first. The image work below is the same for
    # every target, so it runs once and the targets broadcast (same values, N times less work).
    src = image_embeddings
    if level_num > 0:
        src = upscale(w, f"{md}.upsample_2x", src)
        b, c, h, wd = src.shape
        previous_masks = torch.mean(previous_masks, dim=1)
        # official: repeat_interleave(previous_masks[:, None], 256, dim=1); 256 is the decoder width
        src = (previous_masks[:, None].sigmoid() + 1) * src
        image_pe = pe_random(w[f"{md}.pe1.positional_encoding_gaussian_matrix"], (h, wd)).unsqueeze(0)
        dense = F.interpolate(dense.float(), size=(h, wd), mode="bilinear", align_corners=False).to(dense)
    else:
        src = src.expand(tokens.shape[0], -1, -1, -1)
    src = src + dense
    pos_src = image_pe.expand(tokens.shape[0], -1, -1, -1)
    b, c, h, wd = src.shape
    hs, src = two_way_transformer(w, f"{md}.transformer.{level_num}", cfg, src, pos_src, tokens)
    mask_tokens_out = hs[:, 1: (1 + MASK_TOKENS), :]
    src = src.transpose(1, 2).view(b, c, h, wd)
    upscaled = upscale(w, f"{md}.output_upscaling", src)
    hyper_in = torch.stack(
        [mlp3(w, f"{md}.output_hypernetworks_mlps.{i}", mask_tokens_out[:, i, :]) for i in range(MASK_TOKENS)], dim=1
    )
    b, c, h, wd = upscaled.shape
    masks = (hyper_in @ upscaled.view(b, c, h * wd)).view(b, MASK_TOKENS, h, wd)
    return masks[:, 0:1]  # multimask_output=False


# ---------------------------------------------------------------------------------------------
# PixelLM

class PixelLM:
    def __init__(self, w, cfg, clip_w, clip_cfg):
        """Weights by official name (the checkpoint's and the tower's) and the two configs."""
        self.cfg = dict(cfg)
        self.cfg.setdefault("seg_token_num", 3)
        self.cfg.setdefault("mask_decoder_num_heads", 8)
        self.cfg.setdefault("mask_decoder_mlp_dim", 2048)
        self.cfg.setdefault("mask_decoder_depth", 2)
        clip_cfg = clip_cfg.get("vision_config", clip_cfg)
        self.w = w
        self.image_size = self.cfg.get("resize_vision_tower_size", 448)
        self.clip = ClipTower(clip_w, clip_cfg, self.image_size)
        self.llm = Llama(self.w, self.cfg)
        seg_token_num = self.cfg["seg_token_num"]
        self.multiseg_scalar = [torch.ones([]) * (1 / seg_token_num) for _ in range(seg_token_num)]
        self.multiscale_scalar = [torch.ones([]) * (1 / SCALES) for _ in range(SCALES)]
        self.select_layer = self.cfg.get("mm_vision_select_layer", -2)

    @classmethod
    def from_dirs(cls, checkpoint, vision_tower):
        with open(os.path.join(checkpoint, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(vision_tower, "config.json")) as f:
            clip_cfg = json.load(f)
        return cls(load_dir(checkpoint), cfg, load_dir(vision_tower), clip_cfg)

    def projector(self, name, x):
        x = F.linear(x, self.w[f"model.{name}.0.weight"], self.w[f"model.{name}.0.bias"])
        x = F.gelu(x)
        return F.linear(x, self.w[f"model.{name}.2.weight"], self.w[f"model.{name}.2.bias"])

    def encode_images(self, images, clip_resize_list):
        """llava_arch.py encode_images (+ return_project) and the tower's feature_select."""
        vit_attention_mask = torch.zeros_like(images[:, 0, :, :])
        for i, size in enumerate(clip_resize_list):
            vit_attention_mask[i, : size[0], : size[1]] = 1
        patch_size = self.clip.patch
        patch_num = vit_attention_mask.shape[-1] // patch_size
        vit_attention_mask = F.interpolate(vit_attention_mask[:, None], size=(patch_num, patch_num), mode="nearest")[:, 0]
        mask_for_llm = F.interpolate(vit_attention_mask[:, None], size=(LLM_GRID, LLM_GRID), mode="nearest")[:, 0]
        mask_for_llm = mask_for_llm.flatten(1)
        flat = vit_attention_mask.flatten(1)
        flat = torch.cat((torch.ones(flat.shape[0], 1).to(flat), flat), dim=-1)
        hidden_states = self.clip.forward(images, flat)
        image_features = hidden_states[self.select_layer][:, 1:]
        pre_image_features = [hidden_states[-11][:, 1:]]
        return image_features, mask_for_llm, pre_image_features

    def llm_image_tokens(self, image_features):
        """[n, 1024, W] CLIP features -> 16×16 bilinear (a 2×2 mean) -> mm_projector: [n, 256, H]."""
        n, l, c = image_features.shape
        p_num = int(l ** 0.5)
        feats = F.interpolate(
            image_features.permute(0, 2, 1).view(n, c, p_num, p_num).float(),
            size=(LLM_GRID, LLM_GRID), mode="bilinear", align_corners=False,
        ).to(image_features)
        feats = feats.flatten(-2).permute(0, 2, 1)
        return self.projector("mm_projector", feats)

    def prepare_multimodal(self, input_ids, attention_mask, images, clip_resize_list):
        """prepare_inputs_labels_for_multimodal for batch 1, one image, mm_use_im_start_end branch."""
        image_features, vit_mask, pre_image_features = self.encode_images(images, clip_resize_list)
        feats = self.llm_image_tokens(image_features)
        cur_ids = input_ids[0]
        cur_mask = attention_mask[0]
        start = torch.where(cur_ids == IMAGE_TOKEN_INDEX)[0][0]
        embeds = [self.llm.embed(cur_ids[:start]), feats[0], self.llm.embed(cur_ids[start + 1: start + 2])]
        masks = [cur_mask[:start], vit_mask[0], cur_mask[start + 1: start + 2]]
        rest_ids = cur_ids[start + 2:]
        rest_mask = cur_mask[start + 2:]
        assert (rest_ids == IMAGE_TOKEN_INDEX).sum() == 0
        if rest_ids.numel() > 0:
            embeds.append(self.llm.embed(rest_ids))
            masks.append(rest_mask)
        new_mask = torch.cat(masks, dim=0).bool()[None]
        return torch.cat(embeds, dim=0)[None], new_mask, feats[0], vit_mask[0]

    def decoder_features(self, images, clip_resize_list):
        """evaluate(): encode_images(return_project=True) → stack → view → image_feature_neck."""
        image_features, _, pre_image_features = self.encode_images(images, clip_resize_list)
        return self.decoder_features_from_taps(image_features, pre_image_features), image_features, pre_image_features[0]

    def decoder_features_from_taps(self, image_features, pre_image_features):
        """out_mm_projector on both taps -> [scales, H, 32, 32] -> image_feature_neck."""
        pre = [self.projector("out_mm_projector", f) for f in pre_image_features]
        output_image_features = [self.projector("out_mm_projector", image_features)]
        output_image_features.extend(pre)
        output_image_features = torch.stack(output_image_features, dim=0)
        multi_scale_num = output_image_features.shape[0]
        img = output_image_features.flatten(1, 2)
        grid = int(img.shape[1] ** 0.5)
        img = img.view(multi_scale_num, grid * grid, img.shape[-1]).permute(0, 2, 1).view(
            multi_scale_num, img.shape[-1], grid, grid
        )
        x = F.conv2d(img, self.w["model.image_feature_neck.0.weight"])
        x = layer_norm_2d(x, self.w["model.image_feature_neck.1.weight"], self.w["model.image_feature_neck.1.bias"])
        x = F.conv2d(x, self.w["model.image_feature_neck.2.weight"], padding=1)
        return layer_norm_2d(x, self.w["model.image_feature_neck.3.weight"], self.w["model.image_feature_neck.3.bias"])

    def text_hidden_fcs(self, x):
        x = F.relu(F.linear(x, self.w["model.text_hidden_fcs.0.0.weight"], self.w["model.text_hidden_fcs.0.0.bias"]))
        return F.linear(x, self.w["model.text_hidden_fcs.0.2.weight"], self.w["model.text_hidden_fcs.0.2.bias"])

    def fuse(self, pred_embeddings):
        seg_token_num = self.cfg["seg_token_num"]
        n = len(pred_embeddings) // (seg_token_num * SCALES)
        batch = pred_embeddings.view(n, SCALES, seg_token_num, pred_embeddings.shape[-1])
        fused = batch[:, :, 0] * 0
        for i in range(seg_token_num):
            fused = fused + self.multiseg_scalar[i] * batch[:, :, i]
        return fused

    def decode(self, fused, features, clip_resize, original_size):
        low_res = self.low_res_masks(fused, features)
        masks = postprocess_masks(low_res, clip_resize, original_size)
        pred = masks[:, 0]
        score = (pred.sigmoid().flatten(1) * (pred > 0).flatten(1)).sum(1) / ((pred > 0).flatten(1).sum(1) + 1e-6)
        return low_res[:, 0], pred, score

    def low_res_masks(self, fused, features, levels=SCALES):
        """The 2-level decoder: fused prompts [N, 2, D] and features [2, D, 32, 32] -> [N, 1, 128, 128] logits.
        `levels` < 2 stops early (training's cheap first stage): the sum of those levels alone."""
        d = self.cfg["out_dim"]
        grid = features.shape[-1]
        sparse = torch.cat([torch.empty((fused.shape[0], 0, d)), fused], dim=1)
        dense = self.w["model.prompt_encoder.no_mask_embed.weight"].reshape(1, -1, 1, 1).expand(
            fused.shape[0], -1, grid, grid
        )
        image_pe = pe_random(self.w["model.prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"], (grid, grid))
        image_pe = image_pe.unsqueeze(0)
        low_res = torch.zeros([sparse.shape[0], 1, LOW_RES, LOW_RES]).to(features)
        level_masks = None
        for l in range(levels):
            level_masks = predict_masks(
                self.w, self.cfg, features[l].unsqueeze(0), image_pe, sparse[:, l].unsqueeze(1), dense, l,
                level_masks if l > 0 else None,
            )
            low_res = low_res + self.multiscale_scalar[l] * F.interpolate(
                level_masks.float(), (LOW_RES, LOW_RES), mode="bilinear", align_corners=False
            ).to(level_masks)
        return low_res

    def segment(self, hidden, seg_mask, features, clip_resize, original_size, drop_partial_groups):
        group = self.cfg["seg_token_num"] * SCALES
        projected = self.text_hidden_fcs(hidden)
        pred = projected[seg_mask]
        raw = hidden[seg_mask]
        if len(pred) % group != 0:
            if not drop_partial_groups:  # model_forward's view() would fail
                raise ValueError(f"{len(pred)} SEG tokens is not a multiple of {group}")
            seg_mask = (seg_mask * 0).bool()
            pred = projected[seg_mask]
            raw = hidden[seg_mask]
        fused = self.fuse(pred)
        low_res, masks, scores = self.decode(fused, features, clip_resize, original_size)
        return {"seg_hidden": raw, "seg_embeddings": fused, "low_res": low_res, "masks": masks, "scores": scores}

    def evaluate(self, images, prompt_ids, clip_resize, original_size, seg_ids, eos_id, max_new_tokens):
        """PixelLM.evaluate with generate(num_beams=1, greedy, no cache): CLIP re-run at every step."""
        features, selected, second = self.decoder_features(images, [clip_resize])
        input_id = torch.tensor(prompt_ids)
        if 0 in input_id:
            input_id = input_id[: torch.where(input_id == 0)[0].min()]
        ids = input_id[None]
        attention = torch.ones_like(ids)
        last_hidden = last_logits = None
        margins = []
        for _ in range(max_new_tokens):
            embeds, mask, _, _ = self.prepare_multimodal(ids, attention, images, [clip_resize])
            last_hidden, last_logits, _ = self.llm.forward(embeds, mask)
            scores = last_logits[:, -1, :]
            top = torch.topk(scores[0], 2).values
            margins.append(float(top[0] - top[1]))
            next_token = torch.argmax(scores, dim=-1)
            ids = torch.cat([ids, next_token[:, None]], dim=-1)
            attention = torch.cat([attention, torch.ones((1, 1), dtype=attention.dtype)], dim=-1)
            if int(next_token[0]) == eos_id:
                break
        seg_mask = torch.zeros_like(ids[:, 1:]).bool()
        for seg in seg_ids:
            seg_mask = seg_mask | (ids[:, 1:] == seg)
        seg_mask = torch.cat([torch.zeros((seg_mask.shape[0], 255)).bool(), seg_mask], dim=1)
        out = self.segment(last_hidden, seg_mask, features, clip_resize, original_size, drop_partial_groups=True)
        out.update({"output_ids": ids[0], "hidden": last_hidden[0], "logits": last_logits[0],
                    "step_margins": torch.tensor(margins)})
        return out, features, selected, second

    def teacher_forced(self, images, ids, clip_resize, original_size, seg_ids, pad_id):
        """model_forward(inference=True) for one question."""
        features, _, _ = self.decoder_features(images, [clip_resize])
        input_ids = torch.tensor(ids)[None]
        attention_masks = input_ids.ne(pad_id)
        embeds, mask, _, _ = self.prepare_multimodal(input_ids, attention_masks, images, [clip_resize])
        hidden, logits, _ = self.llm.forward(embeds, mask)
        seg_mask = torch.zeros_like(input_ids[:, 1:]).bool()
        for seg in seg_ids:
            seg_mask = seg_mask | (input_ids[:, 1:] == seg)
        seg_mask = torch.cat([seg_mask, torch.zeros((seg_mask.shape[0], 1)).bool()], dim=1)
        seg_mask = torch.cat([torch.zeros((seg_mask.shape[0], 255)).bool(), seg_mask], dim=1)
        out = self.segment(hidden, seg_mask, features, clip_resize, original_size, drop_partial_groups=False)
        out.update({"hidden": hidden[0], "logits": logits[0]})
        return out


def postprocess_masks(masks, input_size, original_size):
    target_size = max(input_size)
    dtype = masks.dtype
    masks = F.interpolate(masks.float(), (target_size, target_size), mode="bilinear", align_corners=False)
    masks = masks[..., : input_size[0], : input_size[1]]
    masks = F.interpolate(masks, original_size, mode="bilinear", align_corners=False)
    return masks.to(dtype)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--vision-tower", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    with open(args.input) as f:
        spec = json.load(f)
    model = PixelLM.from_dirs(args.checkpoint, args.vision_tower)
    pixels = torch.from_numpy(np.load(spec["pixels"]).astype(np.float32))[None]
    clip_resize = tuple(spec["resized_size"])
    original = tuple(spec["original_size"])
    os.makedirs(args.out, exist_ok=True)

    def save(name, tensor):
        array = tensor.detach().numpy() if isinstance(tensor, torch.Tensor) else np.asarray(tensor)
        np.save(os.path.join(args.out, name + ".npy"), array)

    ev = spec["evaluate"]
    result, features, selected, second = model.evaluate(
        pixels, ev["prompt_ids"], clip_resize, original, spec["seg_ids"], spec["eos_id"], ev["max_new_tokens"]
    )
    _, _, image_embeds, image_mask = model.prepare_multimodal(
        torch.tensor(ev["prompt_ids"])[None], torch.ones((1, len(ev["prompt_ids"])), dtype=torch.long),
        pixels, [clip_resize],
    )
    save("position_table", model.clip.position_table)
    save("clip_selected", selected[0])
    save("clip_second", second[0])
    save("image_embeds", image_embeds)
    save("image_mask", image_mask)
    save("decoder_features", features)
    for key, value in result.items():
        save("evaluate_" + key, value)
    teacher = model.teacher_forced(
        pixels, spec["teacher"]["ids"], clip_resize, original, spec["seg_ids"], model.cfg.get("pad_token_id", 0)
    )
    for key, value in teacher.items():
        save("teacher_" + key, value)
    print(f"torch {torch.__version__}: wrote outputs to {args.out}")


if __name__ == "__main__":
    main()
