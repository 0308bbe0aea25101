#!/usr/bin/env bash
# Installs the pinned Toxiproxy server (the chaos hub's TCP side) as .tools/bin/toxiproxy-server,
# built with `go install` from the Go module proxy (scripts/go-install-pinned.sh: idempotent and silent
# when the pinned version is already there). Statically linked (CGO_ENABLED=0) so the same binary also
# runs inside the hub image. Since v2.6 the server's package is cmd/server: the helper installs it
# under the name given.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=v2.12.0
module=github.com/Shopify/toxiproxy/v2
bin="$root/.tools/bin/toxiproxy-server"
before=$(stat -c %Y "$bin" 2>/dev/null || echo none)
CGO_ENABLED=0 "$root/scripts/go-install-pinned.sh" "$bin" "$module" "$version" cmd/server \
  -ldflags "-s -w -X $module.Version=${version#v}"
if [ "$(stat -c %Y "$bin" 2>/dev/null || echo none)" != "$before" ]; then "$bin" --version; fi
