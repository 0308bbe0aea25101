#!/usr/bin/env bash
# Builds bench/checker/porcupine (the pinned Porcupine linearizability checker, v1.3.1 from the Go
# module proxy, behind a small JSON front end) as .tools/bin/porcupine-check, the reference that
# `make bench BENCH=checker` compares the lab's checker against. Idempotent and silent when the binary
# was built from the current sources (it prints their hash with -version). TOOLS_DIR overrides .tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/bench/checker/porcupine"
tools="${TOOLS_DIR:-$root/.tools}"
bin="$tools/bin/porcupine-check"

go=$(command -v go || true)
[ -z "$go" ] && [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go

hash=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)
if [ -x "$bin" ] && [ "$("$bin" -version 2>/dev/null)" = "$hash" ]; then
  exit 0
fi
if [ -z "$go" ]; then
  echo "setup-porcupine: Go is required to build porcupine-check (not found in PATH)" >&2
  exit 1
fi

echo "setup-porcupine: go build porcupine-check (porcupine $(awk '$1 == "require" { print $3 }' "$src/go.mod"))"
mkdir -p "$tools/bin"
tmp=$(mktemp "$tools/bin/porcupine-check.XXXXXX")
trap 'rm -f "$tmp"' EXIT
(cd "$src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$go" build -trimpath \
  -ldflags "-s -w -X main.sourceHash=$hash" -o "$tmp" .)
mv -f "$tmp" "$bin"
trap - EXIT
