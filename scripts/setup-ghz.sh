#!/usr/bin/env bash
# Installs the pinned ghz (a Go gRPC load tool) as .tools/bin/ghz, built with `go install` from the Go
# module proxy: bench/load compares `lab load` with it. Only `make bench` needs it; `make test` does
# not. Idempotent and silent when the pinned version is there (read from the binary's module info).
# Without Go it says so and exits 0: bench/load then skips ghz and says why.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=v0.120.0
module=github.com/bojand/ghz
bin="$root/.tools/bin/ghz"

go=$(command -v go || true)
[ -z "$go" ] && [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go

installed_version() {
  [ -x "$bin" ] && [ -n "$go" ] || return 0
  "$go" version -m "$bin" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }'
}

if [ "$(installed_version)" = "$version" ]; then
  exit 0
fi
if [ -z "$go" ]; then
  echo "setup-ghz: Go is needed to build ghz $version (not found); bench/load will skip ghz" >&2
  exit 0
fi

echo "setup-ghz: go install ghz $version"
mkdir -p "$root/.tools"
gobin=$(mktemp -d "$root/.tools/gobin.XXXXXX")
trap 'rm -rf "$gobin"' EXIT
GOBIN="$gobin" GOFLAGS=-buildvcs=false "$go" install "$module/cmd/ghz@$version"
mkdir -p "$(dirname "$bin")"
mv -f "$gobin/ghz" "$bin"
