#!/usr/bin/env bash
# Runs a pinned golangci-lint. There is no binary download: the first call builds golangci-lint from the Go module
# proxy into ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools (a few minutes on 2 cores), later calls reuse it.
#
# Usage: hack/golangci-lint.sh <golangci-lint arguments>     e.g. hack/golangci-lint.sh run
#   GOLANGCI_LINT_VERSION  golangci-lint v2 release to use (default below; the Makefile passes its pin)
#   TOOLS_DIR              where pinned tools are kept (default ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools)
set -euo pipefail

GOLANGCI_LINT_VERSION=${GOLANGCI_LINT_VERSION:-v2.13.1}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools}
bin="$TOOLS_DIR/golangci-lint-$GOLANGCI_LINT_VERSION"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$TOOLS_DIR"
  tmp=$(mktemp -d "$TOOLS_DIR/.golangci-lint-$GOLANGCI_LINT_VERSION.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  printf '[golangci-lint.sh] building golangci-lint %s from the Go module proxy into %s (once)\n' \
    "$GOLANGCI_LINT_VERSION" "$TOOLS_DIR" >&2
  # Outside any module, so that this repository's go.mod plays no part; `golangci-lint version` reads the module
  # version from the build info.
  (cd "$tmp" && GOBIN="$tmp" GOFLAGS= go install \
    "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION")
  # A rename is atomic, so concurrent first calls never run a half-written binary.
  mv -f "$tmp/golangci-lint" "$bin"
fi

exec "$bin" "$@"
