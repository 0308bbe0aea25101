#!/usr/bin/env bash
# A pinned Go command from the Go module proxy, installed as one binary: idempotent and silent when
# the binary there was built from that module version (read from the module info Go records in it,
# not from a stamp file). Built in a scratch GOBIN, then moved in place under its name in one rename.
#
#   go-install-pinned.sh [--optional] BIN MODULE VERSION PACKAGE [go install flags...]
#
# e.g. go-install-pinned.sh .tools/bin/ghz github.com/bojand/ghz v0.120.0 cmd/ghz
# Without Go it fails, or with --optional says so and exits 0. The environment reaches `go install`
# (CGO_ENABLED=0 for a static binary, say).
set -euo pipefail
optional=0
if [ "${1:-}" = "--optional" ]; then
  optional=1
  shift
fi
bin=$1 module=$2 version=$3 package=$4
shift 4
name=$(basename "$bin")

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
  echo "$name: Go is required to build $module $version (not found in PATH)" >&2
  exit $((1 - optional))
fi

echo "$name: go install $module/$package@$version"
mkdir -p "$(dirname "$bin")"
gobin=$(mktemp -d "$(dirname "$bin")/gobin.XXXXXX")
trap 'rm -rf "$gobin"' EXIT
GOBIN="$gobin" GOFLAGS=-buildvcs=false "$go" install "$@" "$module/$package@$version"
mv -f "$gobin/$(basename "$package")" "$bin"
