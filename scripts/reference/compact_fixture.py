#!/usr/bin/env python3
"""Packs the .npy outputs of pixellm_torch.py into one small JSON fixture for the TS tests.

Per float output: shape, float64 sum, abs-sum and a sign-hashed sum (a checksum that moves when
values are permuted), plus either every value (small outputs) or a fixed sample of indices.
Integer outputs (ids, masks) are stored whole.

usage: compact_fixture.py --outputs DIR --input input.json --fixture OUT.json
"""
import argparse
import glob
import json
import os

import numpy as np
import torch

FULL_LIMIT = 2048
SAMPLES = 384
INTEGER_OUTPUTS = {"evaluate_output_ids", "image_mask"}
DIAGNOSTICS = {"evaluate_step_margins"}


def hash_signs(n):
    """+1/-1 per flat index: bit 31 of (i * 2654435761) mod 2^32 (Knuth's multiplicative hash)."""
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    return np.where(h >= np.uint64(0x80000000), -1.0, 1.0)


def float_entry(array, rng):
    flat = array.astype(np.float64).reshape(-1)
    entry = {
        "shape": list(array.shape),
        "sum": float(flat.sum()),
        "abs_sum": float(np.abs(flat).sum()),
        "signed_sum": float((flat * hash_signs(flat.size)).sum()),
    }
    if flat.size <= FULL_LIMIT:
        entry["values"] = [float(np.float32(v)) for v in flat]
    else:
        picked = rng.choice(flat.size, SAMPLES, replace=False)
        indices = sorted(set(int(i) for i in picked) | {0, flat.size - 1})
        entry["indices"] = indices
        entry["values"] = [float(np.float32(flat[i])) for i in indices]
    return entry


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outputs", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--fixture", required=True)
    args = parser.parse_args()
    with open(args.input) as f:
        spec = json.load(f)
    rng = np.random.RandomState(spec["seed"] % (2**32))
    fixture = {
        "generated_by": "scripts/reference/make-fixtures.sh",
        "torch": torch.__version__,
        "seed": spec["seed"],
        "inputs": {k: v for k, v in spec.items() if k != "pixels"},
        "floats": {},
        "ints": {},
        "diagnostics": {},
    }
    for path in sorted(glob.glob(os.path.join(args.outputs, "*.npy"))):
        name = os.path.basename(path)[:-4]
        array = np.load(path)
        if name in INTEGER_OUTPUTS:
            fixture["ints"][name] = [int(v) for v in array.reshape(-1)]
        elif name in DIAGNOSTICS:
            fixture["diagnostics"][name] = [float(v) for v in array.reshape(-1)]
        else:
            fixture["floats"][name] = float_entry(array, rng)
    with open(args.fixture, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.fixture} ({os.path.getsize(args.fixture)} bytes)")


if __name__ == "__main__":
    main()
