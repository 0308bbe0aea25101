#!/usr/bin/env bash
# Fails when the generated code in node/gen is stale against proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
buf lint proto
buf generate proto --template proto/buf.gen.yaml -o "$tmp"
if ! diff -r "$tmp/node/gen" node/gen >"$tmp/diff"; then
  echo "gen-check: node/gen is stale against proto/; run 'make gen' and commit the result" >&2
  head -40 "$tmp/diff" >&2
  exit 1
fi
