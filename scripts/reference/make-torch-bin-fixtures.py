#!/usr/bin/env python3
"""Writes the PyTorch pickle (.bin) fixtures of @pixellm/checkpoint's torch reader tests.

CI has no PyTorch, so the files torch.save makes are committed (a few KB each) together with
expected.json, the values every tensor must read back as. Needs /usr/bin/python3 with torch
(Debian python3-torch, 1.13); the JSON files are formatted with prettier at the end.

Written, under packages/checkpoint/test/fixtures/torch-bin/:
- single/pytorch_model.bin       an OrderedDict with `_metadata` (what model.state_dict() gives
                                 and save_pretrained writes unsharded): bf16/fp16/fp32/int64,
                                 views sharing one storage at different offsets, a tied weight,
                                 a 0-d tensor, an empty tensor and an nn.Parameter
- sharded/pytorch_model-0000{1,2}-of-00002.bin + pytorch_model.bin.index.json
                                 plain dicts per shard, as save_pretrained shards them
- protocol4.bin                  the single state dict pickled with protocol 4 (FRAME,
                                 SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL)
- zip64.bin                      the single state dict rewritten as a ZIP64 archive (sizes and
                                 offsets in zip64 extra fields, zip64 end records, a comment),
                                 which is how torch writes shards over 4 GB
- deflated.bin                   the same entries compressed (torch never does; must be refused)
- legacy.bin                     the pre-1.6 non-zip format (_use_new_zipfile_serialization=False);
                                 its storage keys are memory addresses, so only it differs per run
- noncontiguous.bin              a transposed view saved with its strides
- float64.bin                    a dtype the reader does not support
- malicious.bin / malicious-protocol4.bin
                                 a state dict whose pickle calls os.system / builtins.eval; the
                                 command would create MALICIOUS_MARKER, which the tests check for

With --convert SRC, instead rewrites the safetensors checkpoint directory SRC (for instance one
from `pnpm pixellm make-tiny`) as save_pretrained-style .bin shards in --out, one .bin per
.safetensors shard, copying the other files: exporting both must give the same bundle.

usage: make-torch-bin-fixtures.py [--out DIR]
       make-torch-bin-fixtures.py --convert SRC --out DIR
"""
import argparse
import collections
import io
import json
import os
import shutil
import struct
import subprocess
import zipfile

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "packages", "checkpoint", "test", "fixtures", "torch-bin")
MALICIOUS_MARKER = "/tmp/pixellm-malicious-pickle-ran"


def single_state_dict():
    g = torch.Generator().manual_seed(1234)
    sd = collections.OrderedDict()
    # what nn.Module.state_dict() attaches; pickled as BUILD state of the OrderedDict
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("model", {"version": 1})])
    embed = torch.randn(6, 4, generator=g).to(torch.bfloat16)
    sd["model.embed_tokens.weight"] = embed
    sd["lm_head.weight"] = embed  # tied: the same tensor under two names
    # two views of one bf16 storage, the second at storage offset 8
    packed = torch.randn(20, generator=g).to(torch.bfloat16)
    sd["model.mm_projector.0.weight"] = packed[:8].view(2, 4)
    sd["model.mm_projector.0.bias"] = packed[8:20].view(3, 4)
    # three views of one fp32 storage, one of them 3-d
    flat = torch.randn(40, generator=g)
    sd["model.text_hidden_fcs.0.0.weight"] = flat[:12].view(3, 4)
    sd["model.text_hidden_fcs.0.0.bias"] = flat[12:16]
    sd["model.image_feature_neck.0.weight"] = flat[16:40].view(2, 3, 4)
    sd["model.layers.0.self_attn.rotary_emb.inv_freq"] = 1.0 / (10000 ** (torch.arange(0, 4, 2).float() / 4))
    sd["model.norm.weight"] = torch.randn(4, generator=g).to(torch.float16)
    sd["model.positions"] = torch.tensor([3, -1, 2**40, 0], dtype=torch.int64)
    sd["model.logit_scale"] = torch.tensor(2.5)  # 0-d
    sd["model.empty"] = torch.zeros(0, 4)
    sd["model.gate"] = torch.nn.Parameter(torch.tensor([0.5, -0.25]), requires_grad=False)
    return sd


def sharded_state_dicts():
    g = torch.Generator().manual_seed(5678)
    first = {
        "model.embed_tokens.weight": torch.randn(5, 3, generator=g).to(torch.bfloat16),
        "model.layers.0.mlp.up_proj.weight": torch.randn(4, 3, generator=g).to(torch.bfloat16),
    }
    second = {
        "model.layers.0.mlp.down_proj.weight": torch.randn(3, 4, generator=g).to(torch.bfloat16),
        "model.mask_decoder.iou_token.weight": torch.randn(1, 3, generator=g),
        "lm_head.weight": torch.randn(5, 3, generator=g).to(torch.bfloat16),
    }
    return [first, second]


class Malicious:
    """Pickles as a call to os.system: what a hostile checkpoint would contain."""

    def __reduce__(self):
        return (os.system, (f"touch {MALICIOUS_MARKER}",))


class MaliciousEval:
    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {MALICIOUS_MARKER}')",))


def expected_entry(tensor):
    values = tensor.detach().reshape(-1)
    if tensor.dtype == torch.int64:
        listed = [int(v) for v in values]
    else:
        listed = [float(v) for v in values.float()]
    return {"dtype": str(tensor.dtype).replace("torch.", ""), "shape": list(tensor.shape), "values": listed}


def expected_for(state_dict):
    return {name: expected_entry(t) for name, t in state_dict.items()}


def save(obj, path, **kwargs):
    torch.save(obj, path, **kwargs)


def zip_entries(path):
    with zipfile.ZipFile(path) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def write_zip64(entries, path, comment=b"written by make-torch-bin-fixtures.py"):
    """A STORED archive whose every size and offset lives in zip64 extra fields, data 64-aligned."""
    out = io.BytesIO()
    central = []
    for name, data in entries:
        encoded = name.encode("utf-8")
        crc = zipfile.crc32(data) & 0xFFFFFFFF
        offset = out.tell()
        zip64_local = struct.pack("<HHQQ", 0x0001, 16, len(data), len(data))
        # torch pads the local extra field so tensor data starts on a 64-byte boundary
        unpadded = offset + 30 + len(encoded) + len(zip64_local) + 4
        padding = (64 - unpadded % 64) % 64
        extra = zip64_local + struct.pack("<HH", 0x4246, padding) + b"Z" * padding
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc,
                              0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra)))
        out.write(encoded + extra + data)
        central.append((encoded, crc, len(data), offset))
    cd_offset = out.tell()
    for encoded, crc, size, offset in central:
        extra = struct.pack("<HHQQQ", 0x0001, 24, size, size, offset)
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc,
                              0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra), 0, 0, 0, 0, 0xFFFFFFFF))
        out.write(encoded + extra)
    cd_size = out.tell() - cd_offset
    zip64_end = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0,
                          len(central), len(central), cd_size, cd_offset))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, len(comment)))
    out.write(comment)
    with open(path, "wb") as f:
        f.write(out.getvalue())


def write_deflated(entries, path):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)


def check_loads_same(path, state_dict):
    """The rewritten archives must still be what torch itself reads back."""
    loaded = torch.load(path)
    assert list(loaded) == list(state_dict), path
    for name, tensor in state_dict.items():
        assert torch.equal(loaded[name], tensor.detach()), (path, name)


def read_safetensors(path):
    """name -> tensor, in file order; no safetensors package needed (8-byte length, JSON, data)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        body = f.read()
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        raw = torch.from_numpy(np.frombuffer(body[start:end], dtype=np.uint8).copy())
        tensors[name] = raw.view(dtypes[meta["dtype"]]).reshape(meta["shape"])
    return tensors


def convert(src, out):
    """Rewrites a safetensors checkpoint directory as pytorch_model-*.bin shards + index."""
    os.makedirs(out, exist_ok=True)
    index_path = os.path.join(src, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path) as f:
            shard_names = sorted(set(json.load(f)["weight_map"].values()))
    else:
        shard_names = ["model.safetensors"]
    weight_map = {}
    total = 0
    for i, shard_name in enumerate(shard_names):
        file = f"pytorch_model-{i + 1:05d}-of-{len(shard_names):05d}.bin"
        tensors = read_safetensors(os.path.join(src, shard_name))
        torch.save(tensors, os.path.join(out, file))
        weight_map.update({name: file for name in tensors})
        total += sum(t.numel() * t.element_size() for t in tensors.values())
    with open(os.path.join(out, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    for name in os.listdir(src):
        if not name.startswith("model.safetensors") and not name.endswith(".safetensors"):
            shutil.copy(os.path.join(src, name), os.path.join(out, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--convert", help="a safetensors checkpoint directory to rewrite as .bin shards")
    args = parser.parse_args()
    if args.convert:
        convert(args.convert, args.out)
        return
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "single"))
    os.makedirs(os.path.join(out, "sharded"))
    expected = {}

    single = single_state_dict()
    single_path = os.path.join(out, "single", "pytorch_model.bin")
    save(single, single_path)
    expected["single/pytorch_model.bin"] = expected_for(single)

    save(single, os.path.join(out, "protocol4.bin"), pickle_protocol=4)
    entries = zip_entries(single_path)
    write_zip64(entries, os.path.join(out, "zip64.bin"))
    check_loads_same(os.path.join(out, "zip64.bin"), single)
    write_deflated(entries, os.path.join(out, "deflated.bin"))
    save(single, os.path.join(out, "legacy.bin"), _use_new_zipfile_serialization=False)

    weight_map = {}
    shards = sharded_state_dicts()
    for i, shard in enumerate(shards):
        file = f"pytorch_model-{i + 1:05d}-of-{len(shards):05d}.bin"
        save(shard, os.path.join(out, "sharded", file))
        expected[f"sharded/{file}"] = expected_for(shard)
        weight_map.update({name: file for name in shard})
    total = sum(t.numel() * t.element_size() for shard in shards for t in shard.values())
    with open(os.path.join(out, "sharded", "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)

    noncontiguous = {"ok": torch.arange(4.0), "transposed": torch.arange(6.0).view(2, 3).t()}
    save(noncontiguous, os.path.join(out, "noncontiguous.bin"))
    save({"ok": torch.ones(2), "doubles": torch.ones(3, dtype=torch.float64)}, os.path.join(out, "float64.bin"))
    save({"evil": Malicious(), "w": torch.ones(2)}, os.path.join(out, "malicious.bin"))
    save({"w": torch.ones(2), "evil": MaliciousEval()}, os.path.join(out, "malicious-protocol4.bin"), pickle_protocol=4)

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"malicious_marker": MALICIOUS_MARKER, "files": expected}, f)
    subprocess.run(["npx", "prettier", "--write", os.path.join(out, "*.json"), os.path.join(out, "*/*.json")],
                   cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
