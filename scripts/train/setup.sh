#!/usr/bin/env bash
# What training the demo model needs beyond scripts/setup.sh: Debian's PyTorch (CPU) and OpenBLAS,
# which replaces the reference BLAS that python3-torch would otherwise run on (about 15x slower).
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
  python3-torch python3-numpy python3-pil libopenblas0-pthread >/dev/null
echo "training prerequisites installed"
