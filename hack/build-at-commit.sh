#!/usr/bin/env bash
# Builds the manager of an earlier commit and keeps it with that commit's CRDs and RBAC, for the upgrade test. The
# commit is checked out with `git worktree add` into a temporary folder outside the repository, built there, and
# the worktree removed; the result is cached by commit (a commit never changes), so later calls only print it.
#
# Usage: hack/build-at-commit.sh [COMMIT]    (default: the commit pinned in hack/upgrade-from)
#   prints the folder holding manager, crd/ (config/crd/bases) and rbac/ (config/rbac) of the commit
#   BUILDS_DIR  where builds are kept (default ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/commits)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:-$(grep -v '^#' "$repo/hack/upgrade-from" | tr -d '[:space:]')}
commit=$(git -C "$repo" rev-parse --verify "$commit^{commit}")
BUILDS_DIR=${BUILDS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/commits}
out="$BUILDS_DIR/$commit"

if [[ ! -x "$out/manager" ]]; then
  mkdir -p "$BUILDS_DIR"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookstream-build-$commit.XXXXXX")
  stage=$(mktemp -d "$BUILDS_DIR/.$commit.XXXXXX")
  cleanup() {
    # Removes the worktree's folder and its entry in the repository, and nothing of any other worktree.
    git -C "$repo" worktree remove --force "$tmp/src" >/dev/null 2>&1 || true
    rm -rf "$tmp" "$stage"
  }
  trap cleanup EXIT
  printf '[build-at-commit.sh] building the manager of %s into %s (once)\n' "$commit" "$out" >&2
  git -C "$repo" worktree add --detach --quiet "$tmp/src" "$commit"
  (cd "$tmp/src" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-X github.com/hookstream/hookstream-operator/internal/hookstream.Version=${commit:0:12}" \
    -o "$stage/manager" ./cmd)
  cp -R "$tmp/src/config/crd/bases" "$stage/crd"
  cp -R "$tmp/src/config/rbac" "$stage/rbac"
  # A rename is atomic: a concurrent call never finds a half-written build.
  mv -T "$stage" "$out" 2>/dev/null || rm -rf "$stage"
fi
printf '%s\n' "$out"
