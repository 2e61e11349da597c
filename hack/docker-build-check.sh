#!/usr/bin/env bash
# Checks, on a machine without a container engine, what `docker build` would put in the image: it runs the
# Dockerfile's own build script (hack/build-manager.sh) and asserts that the binary is what
# gcr.io/distroless/static can run: built with CGO_ENABLED=0, -trimpath, and no ELF interpreter or dynamic section.
# It also asserts that the build needs no file the Docker context leaves out (.dockerignore keeps only .go files,
# go.mod, go.sum and the build script).
#
# Usage: hack/docker-build-check.sh [OUTPUT]   (default: a temporary file, removed afterwards)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

fail() { printf 'docker-build-check: FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'docker-build-check: ok: %s\n' "$*"; }

grep -Eq '^RUN .*hack/build-manager\.sh' Dockerfile ||
  fail "the Dockerfile does not build with hack/build-manager.sh, so this check would test another build"
grep -Fxq '!hack/build-manager.sh' .dockerignore ||
  fail ".dockerignore leaves hack/build-manager.sh out of the Docker context"

module=$(go list -m)
# Packages of this module that ./cmd builds, with any file that is not Go source: .dockerignore would drop it.
non_go=$(go list -deps -f '{{if .Module}}{{if eq .Module.Path "'"$module"'"}}{{.ImportPath}}: {{join .EmbedFiles " "}} {{join .CgoFiles " "}} {{join .CFiles " "}} {{join .SFiles " "}} {{join .SysoFiles " "}}{{end}}{{end}}' ./cmd |
  awk -F': ' 'NF > 1 && $2 !~ /^ *$/')
[[ -z "$non_go" ]] || fail "the manager build needs files that .dockerignore excludes: $non_go"
ok "the manager build needs only files the Docker context keeps"

if [[ $# -gt 0 ]]; then
  out=$1
else
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/docker-build-check.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  out="$tmp/manager"
fi

# A version no other binary holds, to find in the output: -X writes it into the binary's read-only data.
version="docker-build-check-$$-$RANDOM"
VERSION=$version sh hack/build-manager.sh "$out"
ok "built $out with hack/build-manager.sh"

# go version -m does not record -ldflags for a -trimpath build, so the stamped version is looked for directly.
info=$(go version -m "$out")
for want in 'CGO_ENABLED=0' '-trimpath=true'; do
  grep -Fq -- "$want" <<<"$info" || fail "go version -m does not show $want:"$'\n'"$info"
done
ok "go version -m shows CGO_ENABLED=0 and -trimpath"
grep -Faq -- "$version" "$out" || fail "$out does not hold the version $version passed to hack/build-manager.sh"
ok "the version is stamped in"

# An ELF program header of type INTERP (3) or DYNAMIC (2) means the binary needs a dynamic loader and libc.
elf_segment_types() {
  if command -v readelf >/dev/null 2>&1; then
    readelf --wide --program-headers "$1" | awk '$1 ~ /^[A-Z_]+$/ && $1 != "Type" { print $1 }'
    return
  fi
  # Without binutils: read the program header table of a little-endian ELF64 file with od.
  local class data phoff phentsize phnum i
  class=$(od -An -tu1 -j4 -N1 "$1" | tr -d ' ')
  data=$(od -An -tu1 -j5 -N1 "$1" | tr -d ' ')
  [[ "$class" == 2 && "$data" == 1 ]] || fail "no readelf, and $1 is not a little-endian ELF64 file od can read"
  phoff=$(od -An -tu8 -j32 -N8 "$1" | tr -d ' ')
  phentsize=$(od -An -tu2 -j54 -N2 "$1" | tr -d ' ')
  phnum=$(od -An -tu2 -j56 -N2 "$1" | tr -d ' ')
  for ((i = 0; i < phnum; i++)); do
    case $(od -An -tu4 -j$((phoff + i * phentsize)) -N4 "$1" | tr -d ' ') in
      2) echo DYNAMIC ;;
      3) echo INTERP ;;
      *) echo OTHER ;;
    esac
  done
}
segments=$(elf_segment_types "$out")
[[ -n "$segments" ]] || fail "could not read the program headers of $out"
if grep -Eqx 'INTERP|DYNAMIC' <<<"$segments"; then
  fail "$out is dynamically linked (program headers: $(tr '\n' ' ' <<<"$segments")); distroless/static cannot run it"
fi
ok "$out is a static executable: no INTERP or DYNAMIC program header"
