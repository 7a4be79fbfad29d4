#!/usr/bin/env bash
# Fails when the committed TypeScript types of protos/ differ from what the protos generate now.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm --silent --filter @pixellm/protos run generate
# Only the generator's outputs: hand-written files beside them may have work in progress.
outputs=(protos/src/generated protos/src/types.ts)
if ! git diff --quiet HEAD -- "${outputs[@]}" || [ -n "$(git ls-files --others --exclude-standard -- "${outputs[@]}")" ]; then
  echo "protos/src is out of date with protos/pixellm: run 'pnpm --filter @pixellm/protos run generate' and commit" >&2
  git --no-pager diff --stat HEAD -- "${outputs[@]}" >&2
  exit 1
fi
echo "generated API types match protos/"
