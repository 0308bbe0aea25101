#!/usr/bin/env bash
# Installs the pinned Toxiproxy server (the chaos hub's TCP side) as .tools/bin/toxiproxy-server,
# built with `go install` from the Go module proxy. Idempotent and silent when the pinned version is
# already there (checked from the module version Go records in the binary, not from a stamp file).
# Statically linked (CGO_ENABLED=0) so the same binary also runs inside the hub image.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=v2.12.0
module=github.com/Shopify/toxiproxy/v2
bin="$root/.tools/bin/toxiproxy-server"

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
  echo "setup-toxiproxy: Go is required to build toxiproxy-server $version (not found in PATH)" >&2
  exit 1
fi

echo "setup-toxiproxy: go install toxiproxy-server $version"
# Since v2.6 the server's package is cmd/server, so go install names the binary `server`: build into a
# scratch GOBIN, then move it in place under its usual name in one rename.
mkdir -p "$root/.tools"
gobin=$(mktemp -d "$root/.tools/gobin.XXXXXX")
trap 'rm -rf "$gobin"' EXIT
GOBIN="$gobin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$go" install \
  -ldflags "-s -w -X $module.Version=${version#v}" "$module/cmd/server@$version"
mkdir -p "$(dirname "$bin")"
mv -f "$gobin/server" "$bin"
"$bin" --version
