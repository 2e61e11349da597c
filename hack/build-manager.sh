#!/bin/sh
# Builds the manager binary the way the container image ships it: static (CGO off, for distroless/static),
# reproducible paths, stripped, with the version stamped in. The Dockerfile and hack/docker-build-check.sh both run
# this script, so the build checked on a machine without a container engine is the build in the image.
#
# Usage: hack/build-manager.sh [OUTPUT]   (default OUTPUT: ./manager)
#   VERSION      version reported by the manager and sent in the User-Agent (default: dev)
#   GOOS/GOARCH  target platform, as for go build (default: this machine's)
set -eu

out=${1:-manager}
case "$out" in
  /*) ;;
  *) out="$(pwd)/$out" ;;
esac
VERSION=${VERSION:-dev}

cd "$(dirname "$0")/.."
CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/hookstream/hookstream-operator/internal/hookstream.Version=${VERSION}" \
  -o "$out" ./cmd
