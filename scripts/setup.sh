#!/usr/bin/env bash
# Installs everything this project needs on a fresh Debian machine; safe to run again.
#  - system packages: redis-server (queues in tests and local runs), Python 3 with PIL,
#    sentencepiece, numpy and scipy (independent references in tests), grpcio (a non-JS gRPC client)
#  - podman, buildah, runc and mmdebstrap (the image smoke builds and runs the images without
#    Docker; scripts/images/setup.sh)
#  - Mesa's lavapipe (a Vulkan driver that runs on the CPU) from bookworm-backports, so the
#    webgpu execution provider is tested without a GPU; Dawn refuses bookworm's own Mesa 22
#  - pnpm, then the workspace's npm dependencies from the lockfile
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
for module in PIL:python3-pil sentencepiece:python3-sentencepiece numpy:python3-numpy scipy:python3-scipy grpc:python3-grpcio; do
  /usr/bin/python3 -c "import ${module%%:*}" 2>/dev/null || missing+=("${module##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash scripts/images/setup.sh

mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if ! dpkg --compare-versions "${mesa:-0}" ge 25 || ! dpkg-query -W libvulkan1 >/dev/null 2>&1; then
  echo "setup: installing Mesa's lavapipe Vulkan driver from bookworm-backports"
  as_root sh -c 'echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list'
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "setup: starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi

command -v pnpm >/dev/null || npm install -g pnpm@12.21.0 >/dev/null
# onnxruntime-node's install script only downloads CUDA libraries; pnpm-workspace.yaml leaves
# it unapproved, and this keeps it off under other package managers too.
export ONNXRUNTIME_NODE_INSTALL=skip
pnpm install --frozen-lockfile
