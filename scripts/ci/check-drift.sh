#!/usr/bin/env bash
# Fails when dist/ is not what the source renders: re-renders, then lists what differs (the PR must commit it).
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run --silent synth
if ! git diff --quiet --exit-code -- dist || [[ -n $(git status --porcelain -- dist) ]]; then
  echo "dist/ is out of date with the source. Run 'npm run synth' and commit dist/. Differences:" >&2
  git status --short -- dist >&2
  git --no-pager diff --stat -- dist >&2
  exit 1
fi
echo "dist/ is up to date"
