#!/usr/bin/env bash
# Fails when the committed TypeScript types of protos/ differ from what the protos generate now.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm --silent --filter @pixellm/api run generate
if ! git diff --quiet HEAD -- packages/api/src || [ -n "$(git ls-files --others --exclude-standard -- packages/api/src)" ]; then
  echo "packages/api/src is out of date with protos/: run 'pnpm --filter @pixellm/api run generate' and commit" >&2
  git --no-pager diff --stat HEAD -- packages/api/src >&2
  exit 1
fi
echo "generated API types match protos/"
