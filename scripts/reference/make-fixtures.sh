#!/usr/bin/env bash
# Regenerates packages/reference/test/fixtures/tiny-torch.json, the PyTorch side of the
# @pixellm/reference cross-check: writes the seeded tiny checkpoint and inputs (the same ones the
# test regenerates), runs scripts/reference/pixellm_torch.py on them and compacts the outputs.
# Needs /usr/bin/python3 with torch and numpy (Debian python3-torch, python3-numpy); CI does not.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
if ! "$python" -c "import torch, numpy" 2>/dev/null; then
  echo "make-fixtures: $python cannot import torch and numpy; install python3-torch and python3-numpy" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$root"
npx tsx --conditions=@pixellm/source packages/reference/test/support/write-fixture-inputs.ts "$work"
"$python" scripts/reference/pixellm_torch.py \
  --checkpoint "$work/checkpoint" --vision-tower "$work/clip" --input "$work/input.json" --out "$work/out"
"$python" scripts/reference/compact_fixture.py \
  --outputs "$work/out" --input "$work/input.json" --fixture packages/reference/test/fixtures/tiny-torch.json
npx prettier --write packages/reference/test/fixtures/tiny-torch.json
