#!/usr/bin/env bash
# Runs a pinned helm. There is no binary download: the first call builds helm from the Go module proxy into
# ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools (about 2 minutes on 2 cores), later calls reuse it.
#
# Usage: hack/helm.sh <helm arguments>     e.g. hack/helm.sh lint --strict charts/hookstream-operator
#   HELM_VERSION  helm v3 release to use (default below)
#   TOOLS_DIR     where pinned tools are kept (default ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools)
set -euo pipefail

HELM_VERSION=${HELM_VERSION:-v3.22.0}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools}
bin="$TOOLS_DIR/helm-$HELM_VERSION"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$TOOLS_DIR"
  tmp=$(mktemp -d "$TOOLS_DIR/.helm-$HELM_VERSION.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  printf '[helm.sh] building helm %s from the Go module proxy into %s (once)\n' "$HELM_VERSION" "$TOOLS_DIR" >&2
  # Outside any module, so that this repository's go.mod plays no part; the ldflag makes `helm version` exact.
  (cd "$tmp" && GOBIN="$tmp" GOFLAGS= go install \
    -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  # A rename is atomic, so concurrent first calls never run a half-written binary.
  mv -f "$tmp/helm" "$bin"
fi

exec "$bin" "$@"
