#!/usr/bin/env bash
# Builds kube-apiserver, etcd and a matching kubectl from the Go module proxy into a cache outside the repository, so that envtest
# and the local environment run a real control plane on a machine that cannot download setup-envtest's archives.
#
# Usage: hack/setup-envtest.sh [--print-path]
#   K8S_VERSION   Kubernetes version to build (default: the k8s.io/api minor in go.mod, as v1.<minor>.<patch>)
#   ETCD_VERSION  etcd server module version (default v3.6.16)
#   ENVTEST_CACHE cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/envtest)
#
# The result lives in $ENVTEST_CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION/{kube-apiserver,etcd,kubectl}. A second
# call finds the binaries and returns at once. With --print-path only the folder is printed on stdout (progress goes
# to stderr), which is what `make -s envtest-assets` relies on.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ -z "${K8S_VERSION:-}" ]]; then
  # k8s.io/api v0.M.P corresponds to Kubernetes v1.M.P.
  api_version=$(awk '$1 == "k8s.io/api" { print $2; exit }' "$repo_root/go.mod")
  K8S_VERSION="v1.${api_version#v0.}"
fi
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
ENVTEST_CACHE=${ENVTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hookstream-operator/envtest}
dest="$ENVTEST_CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"

log() { printf '[setup-envtest] %s\n' "$*" >&2; }

print_path=false
[[ "${1:-}" == "--print-path" ]] && print_path=true

if [[ -x "$dest/kube-apiserver" && -x "$dest/etcd" && -x "$dest/kubectl" ]]; then
  $print_path && printf '%s\n' "$dest"
  exit 0
fi

mkdir -p "$dest"
work=$(mktemp -d "${TMPDIR:-/tmp}/hookstream-envtest.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT

# Prints a heartbeat every 30 s while a long build runs, so it is clear that nothing hung.
with_heartbeat() {
  local what=$1; shift
  local start=$SECONDS
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if (( (SECONDS - start) % 30 < 5 )) && kill -0 "$pid" 2>/dev/null; then
      log "  still building $what ($((SECONDS - start)) s so far)"
    fi
  done
  wait "$pid"
  log "  $what built in $((SECONDS - start)) s"
}

k8s_src=""
# Copies k8s.io/kubernetes from the module cache into a writable tree that builds outside the monorepo.
prepare_kubernetes_source() {
  [[ -n "$k8s_src" ]] && return
  local staging="v0.${K8S_VERSION#v1.}"
  log "Downloading k8s.io/kubernetes@$K8S_VERSION from the Go module proxy"
  local moddir
  moddir=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | awk -F'"' '/"Dir":/ { print $4 }')
  cp -r "$moddir" "$work/kubernetes"
  chmod -R u+w "$work/kubernetes"
  (
    cd "$work/kubernetes"
    rm -rf go.work go.work.sum vendor
    # The staging replaces point into the monorepo; resolve them from the proxy at the matching version instead.
    sed -i -E "s#^(\s*)(k8s\.io/[a-z0-9-]+) => \./staging/src/k8s\.io/[a-z0-9-]+\$#\1\2 => \2 $staging#" go.mod
    sed -i -E "s#^replace (k8s\.io/[a-z0-9-]+) => \./staging/src/k8s\.io/[a-z0-9-]+\$#replace \1 => \1 $staging#" go.mod
  )
  k8s_src="$work/kubernetes"
}

# Builds one command of k8s.io/kubernetes with the version stamped in, so clients can parse it.
build_kubernetes_command() {
  local cmd=$1 estimate=$2
  prepare_kubernetes_source
  local major_minor=${K8S_VERSION#v}
  local major=${major_minor%%.*}
  local minor=${major_minor#*.}; minor=${minor%%.*}
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  log "Building $cmd $K8S_VERSION ($estimate on 2 cores, once per machine)"
  (
    cd "$k8s_src"
    with_heartbeat "$cmd" env GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" \
      -o "$work/$cmd" "./cmd/$cmd"
  )
  mv "$work/$cmd" "$dest/$cmd"
}

build_etcd() {
  log "Building etcd $ETCD_VERSION (about 1 minute, once per machine)"
  mkdir -p "$work/etcd"
  (
    cd "$work/etcd"
    cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
    go mod init local/etcd >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1
    go mod tidy >/dev/null 2>&1
    with_heartbeat etcd env CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/etcd-bin" .
  )
  mv "$work/etcd-bin" "$dest/etcd"
}

log "Control-plane binaries for envtest are missing in $dest; building them from source"
[[ -x "$dest/etcd" ]] || build_etcd
[[ -x "$dest/kube-apiserver" ]] || build_kubernetes_command kube-apiserver "about 6 minutes"
[[ -x "$dest/kubectl" ]] || build_kubernetes_command kubectl "about 2 minutes"
log "Ready: $dest"
$print_path && printf '%s\n' "$dest"
exit 0
