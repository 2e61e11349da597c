#!/usr/bin/env bash
# Prints the consolidated install manifest (config/default: CRDs, RBAC, the manager Deployment, metrics Service)
# with the manager image set to IMAGE, without touching the tracked config/: kustomize edits a temporary copy.
#
# Usage: hack/install-yaml.sh KUSTOMIZE IMAGE > install.yaml
set -euo pipefail
kustomize=$1
image=$2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$kustomize" in /*) ;; *) kustomize="$root/$kustomize" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$root/config" "$tmp/config"
(cd "$tmp/config/manager" && "$kustomize" edit set image "controller=$image")
"$kustomize" build "$tmp/config/default"
