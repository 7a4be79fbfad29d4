#!/usr/bin/env bash
# Installs what `pnpm images:smoke` needs to build and run the images on a machine without
# Docker or a registry (Debian bookworm); safe to run again:
#  - podman and buildah (builds and containers), runc (crun fails on hybrid cgroup hosts),
#    mmdebstrap (the Debian root filesystem the base images start from)
#  - /etc/containers/containers.conf with no default ulimits (raising them fails in nested
#    sandboxes like this project's machines)
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for tool in podman buildah runc mmdebstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "images setup: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

conf=/etc/containers/containers.conf
if ! grep -qs '^default_ulimits = \[\]' "$conf"; then
  if [ -s "$conf" ]; then
    # Someone else's configuration: not ours to rewrite. Containers may then fail to start.
    echo "images setup: warning: $conf has no 'default_ulimits = []' in [containers]; add it by hand" >&2
    exit 0
  fi
  echo "images setup: writing $conf"
  printf '[containers]\ndefault_ulimits = []\n' | as_root tee "$conf" >/dev/null
fi
