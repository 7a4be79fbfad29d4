"""The model's tensors by their official names, created from layout.json (the exporter's list),
initialised as the official modules initialise them, and written as safetensors."""
import json
import math
import struct

import numpy as np
import torch


def init_tensor(spec, generator, rope_theta=10000.0):
    name, shape, kind, group = spec["name"], spec["shape"], spec["kind"], spec["group"]
    if kind == "norm_weight":
        return torch.ones(shape)
    if kind in ("norm_bias", "bias"):
        return torch.zeros(shape)
    if kind == "rotary":  # LlamaRotaryEmbedding.inv_freq, a buffer nothing reads
        dim = shape[0] * 2
        return 1.0 / (rope_theta ** (torch.arange(0, dim, 2).float() / dim))
    if kind == "gaussian":  # PositionEmbeddingRandom(scale=1): a frozen random projection
        return torch.randn(shape, generator=generator)
    if kind == "embedding" and group == "pixel":  # nn.Embedding's N(0, 1) in the SAM modules
        return torch.randn(shape, generator=generator)
    if group == "pixel":  # nn.Linear / nn.Conv default: kaiming_uniform(a=sqrt(5)) = U(±1/sqrt(fan_in))
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        bound = 1.0 / math.sqrt(fan_in)
        return (torch.rand(shape, generator=generator) * 2 - 1) * bound
    return torch.randn(shape, generator=generator) * 0.02  # LLaMA / CLIP / projector init


def create(layout_file, seed):
    """-> (llm tensors, clip tensors) as dicts name -> float32 tensor."""
    with open(layout_file) as f:
        layout = json.load(f)
    generator = torch.Generator().manual_seed(seed)
    llm = {s["name"]: init_tensor(s, generator) for s in layout["llm"]}
    clip = {s["name"]: init_tensor(s, generator) for s in layout["clip"]}
    return llm, clip


def write_safetensors(path, tensors):
    """float32 tensors, sorted by name, as the safetensors format lays them out."""
    header = {}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)
