#!/usr/bin/env bash
# Installs the pinned ghz (a Go gRPC load tool) as .tools/bin/ghz from the Go module proxy: bench/load
# compares `lab load` with it. Only `make bench` needs it; `make test` does not. Idempotent and silent
# when the pinned version is there. Without Go it says so and exits 0: bench/load then skips ghz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec "$root/scripts/go-install-pinned.sh" --optional "$root/.tools/bin/ghz" github.com/bojand/ghz v0.120.0 cmd/ghz
