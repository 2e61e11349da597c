#!/usr/bin/env bash
# Runs a pinned promtool, Prometheus's own rule checker and rule unit tester. There is no binary download: the first
# call builds promtool from the Go module proxy into ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools (a few
# minutes on 2 cores), later calls reuse it.
#
# Usage: hack/promtool.sh <promtool arguments>     e.g. hack/promtool.sh test rules config/prometheus/alert-rules_test.yaml
#        hack/promtool.sh --print-path             builds promtool if needed and prints the binary's path
#   PROMETHEUS_VERSION  github.com/prometheus/prometheus module version to build (Prometheus 3.N.P is v0.3NN.P; the
#                       Makefile passes its pin)
#   TOOLS_DIR           where pinned tools are kept (default ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools)
set -euo pipefail

PROMETHEUS_VERSION=${PROMETHEUS_VERSION:-v0.316.0}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/tools}
bin="$TOOLS_DIR/promtool-$PROMETHEUS_VERSION"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$TOOLS_DIR"
  tmp=$(mktemp -d "$TOOLS_DIR/.promtool-$PROMETHEUS_VERSION.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  printf '[promtool.sh] building promtool %s from the Go module proxy into %s (once)\n' \
    "$PROMETHEUS_VERSION" "$TOOLS_DIR" >&2
  # Outside any module, so that this repository's go.mod plays no part.
  (cd "$tmp" && GOBIN="$tmp" GOFLAGS= go install \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION")
  # A rename is atomic, so concurrent first calls never run a half-written binary.
  mv -f "$tmp/promtool" "$bin"
fi

if [[ "${1:-}" == "--print-path" ]]; then
  printf '%s\n' "$bin"
  exit 0
fi
exec "$bin" "$@"
