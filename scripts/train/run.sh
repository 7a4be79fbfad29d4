#!/usr/bin/env bash
# Trains the demo PixelLM from nothing, end to end, and checks the exporter takes the result:
#   synthetic MUSE data -> tokenizer and token ids -> PyTorch training -> checkpoint -> bundle.
# Fixed seed; scripts/train/README.md has the recipe, the timing and the loss curve.
#
#   bash scripts/train/run.sh WORK_DIR            train into WORK_DIR
#   bash scripts/train/run.sh WORK_DIR --install  then copy the checkpoint to models/pixellm-demo
set -euo pipefail

work="${1:?usage: run.sh WORK_DIR [--install]}"
install="${2:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
cd "$root"

if ! "$python" -c "import torch, numpy, PIL" 2>/dev/null; then
  echo "run.sh: $python cannot import torch, numpy and PIL; run: bash scripts/train/setup.sh" >&2
  exit 1
fi
if ! ldconfig -p | grep libopenblas >/dev/null; then  # not -q: an early exit would SIGPIPE ldconfig under pipefail
  echo "run.sh: OpenBLAS is missing (the reference BLAS is ~15x slower); run: bash scripts/train/setup.sh" >&2
  exit 1
fi

SECONDS=0
phase() { echo "== $1 (at ${SECONDS} s)"; }
phase "dataset"
pnpm -s pixellm make-dataset --out "$work/data" --seed 0 --train 1500 --val 60 --test 60
phase "tokenizer and token ids"
npx tsx --conditions=@pixellm/source scripts/train/prepare.ts --data "$work/data" --work "$work"
phase "training"
"$python" scripts/train/train.py --work "$work" --seed 0 --threads 2 --validate-images 20 --validate-every 400
phase "export check"
pnpm -s pixellm export --checkpoint "$work/checkpoint" --vision-tower "$work/vision-tower" --out "$work/bundle"
echo "== done in ${SECONDS} s; loss curve: $work/loss-curve.json"

if [ "$install" = "--install" ]; then
  target=models/pixellm-demo
  rm -rf "$target"
  mkdir -p "$target"
  cp -r "$work/checkpoint" "$work/vision-tower" "$target/"
  cp "$work/loss-curve.json" "$target/"
  echo "installed $target ($(du -sh "$target" | cut -f1))"
fi
