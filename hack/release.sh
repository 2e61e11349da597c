#!/usr/bin/env bash
# Writes the release artifacts of VERSION (vX.Y.Z) into DIST (default dist/), touching no tracked file:
#   install.yaml                       CRDs, RBAC and the manager Deployment, pinned to IMAGE_REPO:VERSION
#   hookstream-operator-X.Y.Z.tgz      the Helm chart, version X.Y.Z, appVersion VERSION (its default image tag)
#   kubectl-hookstream_VERSION_<os>_<arch>.tar.gz   the kubectl plugin and LICENSE, linux and darwin, amd64 and arm64
#   checksums.txt                      sha256 of every file above, as sha256sum writes them
#   plugins/hookstream.yaml            the krew manifest: URIs under RELEASE_URL and the archives' sha256, checked by
#                                      krew's own validate-krew-manifest
#   release-notes.md                   the section of VERSION in CHANGELOG.md
# The archives are reproducible (sorted names, fixed times and owners, gzip without a timestamp).
#
# Usage: VERSION=v0.1.0 KUSTOMIZE=bin/kustomize hack/release.sh   (make release VERSION=v0.1.0 sets them)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

: "${VERSION:?set VERSION=vX.Y.Z}"
if [[ ! "$VERSION" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "release.sh: VERSION must look like v1.2.3 or v1.2.3-rc.1, not $VERSION" >&2
  exit 2
fi
semver=${VERSION#v}
DIST=${DIST:-dist}
KUSTOMIZE=${KUSTOMIZE:-bin/kustomize}
RELEASE_URL=${RELEASE_URL:-https://github.com/hookstream/hookstream-operator/releases/download/$VERSION}
chart=charts/hookstream-operator
# The image the chart deploys by default, so that install.yaml and the chart run the same one.
IMAGE_REPO=${IMAGE_REPO:-$(sed -n 's/^  repository: *//p' "$chart/values.yaml" | head -1)}
[[ -n "$IMAGE_REPO" ]] || { echo "release.sh: no image.repository in $chart/values.yaml" >&2; exit 1; }

step() { printf '[release] %s\n' "$*" >&2; }

# The release notes first: a version without a CHANGELOG section is not released.
notes=$(awk -v v="$semver" '
  /^## \[/ { if (found) exit; if (index($0, "## [" v "]") == 1) { found = 1; next } }
  found { print }
  END { if (!found) exit 1 }' CHANGELOG.md) || { echo "release.sh: CHANGELOG.md has no section ## [$semver]" >&2; exit 1; }
if [[ -z "$(printf '%s' "$notes" | tr -d '[:space:]')" ]]; then
  echo "release.sh: the section ## [$semver] of CHANGELOG.md is empty" >&2
  exit 1
fi

rm -rf "$DIST"
mkdir -p "$DIST/plugins"
printf '%s\n' "$notes" | sed -e '/./,$!d' > "$DIST/release-notes.md"

step "install.yaml with image $IMAGE_REPO:$VERSION"
hack/install-yaml.sh "$KUSTOMIZE" "$IMAGE_REPO:$VERSION" > "$DIST/install.yaml"

step "Helm chart $semver (appVersion $VERSION)"
hack/helm.sh package "$chart" --version "$semver" --app-version "$VERSION" --destination "$DIST" >&2

ldflags="-s -w -X github.com/hookstream/hookstream-operator/internal/hookstream.Version=$VERSION"
platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64)
for platform in "${platforms[@]}"; do
  os=${platform%/*} arch=${platform#*/}
  step "kubectl-hookstream for $os/$arch"
  stage=$(mktemp -d)
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$stage/kubectl-hookstream" ./cmd/kubectl-hookstream
  cp LICENSE "$stage/LICENSE"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$stage" -cf - LICENSE kubectl-hookstream |
    gzip -n -9 > "$DIST/kubectl-hookstream_${VERSION}_${os}_${arch}.tar.gz"
  rm -rf "$stage"
done

step "checksums.txt"
(cd "$DIST" && sha256sum install.yaml "hookstream-operator-$semver.tgz" kubectl-hookstream_*.tar.gz > checksums.txt)

step "krew manifest plugins/hookstream.yaml"
{
  cat <<YAML
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: hookstream
spec:
  version: $VERSION
  homepage: https://github.com/hookstream/hookstream-operator
  shortDescription: Bring hookstream webhook projects under manifests and see their state
  description: |
    Works with the hookstream operator's Destinations, Sources and Connections.
    export writes manifests that adopt every destination, source and connection of a
    hookstream project without changing it; diff shows what the operator would change
    in hookstream for a set of manifests; status lists every object with its state.
  platforms:
YAML
  for platform in "${platforms[@]}"; do
    os=${platform%/*} arch=${platform#*/}
    archive="kubectl-hookstream_${VERSION}_${os}_${arch}.tar.gz"
    sum=$(sha256sum "$DIST/$archive" | cut -d' ' -f1)
    cat <<YAML
  - selector:
      matchLabels:
        os: $os
        arch: $arch
    uri: $RELEASE_URL/$archive
    sha256: $sum
    bin: kubectl-hookstream
    files:
    - from: kubectl-hookstream
      to: .
    - from: LICENSE
      to: .
YAML
  done
} > "$DIST/plugins/hookstream.yaml"
hack/validate-krew-manifest.sh -manifest "$DIST/plugins/hookstream.yaml" -skip-install >&2

step "done: $(cd "$DIST" && find . -type f | sort | tr '\n' ' ')"
