#!/usr/bin/env bash
# Creates or updates ONE pull-request comment (found by a hidden marker) with the body of a Markdown file, so the
# rendered diff is replaced on every push instead of piling up. Needs GH_TOKEN, GITHUB_REPOSITORY, PR_NUMBER.
# Usage: scripts/ci/pr-comment.sh <body.md> [marker]
set -euo pipefail
body_file=${1:?usage: pr-comment.sh <body.md> [marker]}
marker=${2:-<!-- optibid-rendered-diff -->}
: "${GH_TOKEN:?}" "${GITHUB_REPOSITORY:?}" "${PR_NUMBER:?}"
body=$(printf '%s\n%s' "$marker" "$(cat "$body_file")")
existing=$(gh api --paginate "repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments" \
  --jq ".[] | select(.body | startswith(\"${marker}\")) | .id" | head -n 1)
if [[ -n $existing ]]; then
  gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${existing}" -f body="$body" >/dev/null
  echo "updated comment ${existing}"
else
  gh api --method POST "repos/${GITHUB_REPOSITORY}/issues/${PR_NUMBER}/comments" -f body="$body" >/dev/null
  echo "created a comment"
fi
