#!/usr/bin/env bash
# Runs krew's own manifest validation (sigs.k8s.io/krew/cmd/validate-krew-manifest, the program krew-index's CI
# runs), pinned. The first call builds it from the Go module proxy into
# ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools; later calls reuse it.
#
# Usage: hack/validate-krew-manifest.sh -manifest dist/plugins/hookstream.yaml -skip-install
#   KREW_VERSION  krew release to use (default below)
#   TOOLS_DIR     where pinned tools are kept (default ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools)
set -euo pipefail

KREW_VERSION=${KREW_VERSION:-v0.4.3}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools}
bin="$TOOLS_DIR/validate-krew-manifest-$KREW_VERSION"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$TOOLS_DIR"
  tmp=$(mktemp -d "$TOOLS_DIR/.validate-krew-manifest-$KREW_VERSION.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  printf '[validate-krew-manifest.sh] building krew %s validate-krew-manifest from the Go module proxy into %s (once)\n' \
    "$KREW_VERSION" "$TOOLS_DIR" >&2
  # Outside any module, so that this repository's go.mod plays no part.
  (cd "$tmp" && GOBIN="$tmp" GOFLAGS= go install "sigs.k8s.io/krew/cmd/validate-krew-manifest@$KREW_VERSION")
  # A rename is atomic, so concurrent first calls never run a half-written binary.
  mv -f "$tmp/validate-krew-manifest" "$bin"
fi

exec "$bin" "$@"
