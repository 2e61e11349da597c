#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 30s) and prints how long each ran and what it found.
# The seed corpora live in each package's testdata/fuzz/ and in the targets' f.Add calls; a failure writes the
# failing input there, so that plain `go test` replays it from then on.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FUZZTIME=${FUZZTIME:-30s}

targets=$(grep -rhoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' internal | sed 's/^func //' | sort -u)
printf '%-32s %-28s %10s %12s  %s\n' TARGET PACKAGE SECONDS EXECS RESULT
status=0
for target in $targets; do
  pkg=$(grep -rlE --include='*_test.go' "^func $target\(" internal | head -n1 | xargs dirname)
  start=$SECONDS
  out=$(go test "./$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" 2>&1)
  rc=$?
  secs=$((SECONDS - start))
  execs=$(printf '%s\n' "$out" | grep -oE 'execs: [0-9]+' | tail -n1 | awk '{print $2}')
  result=ok
  if [ $rc -ne 0 ]; then
    result="FAILED (see the input saved under $pkg/testdata/fuzz/$target)"
    status=1
    printf '%s\n' "$out" | tail -n 30 >&2
  fi
  printf '%-32s %-28s %10d %12s  %s\n' "$target" "$pkg" "$secs" "${execs:-?}" "$result"
done
echo "rerun: make fuzz FUZZTIME=$FUZZTIME"
exit $status
