#!/usr/bin/env bash
# make bench [BENCH=name]: runs bench/<name>/main.ts, or every benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for dir in bench/*/; do
    [ -f "$dir/main.ts" ] && names+=("$(basename "$dir")")
  done
fi
for name in "${names[@]}"; do
  if [ ! -f "bench/$name/main.ts" ]; then
    echo "bench: no benchmark named '$name' (have: $(ls bench | tr '\n' ' '))" >&2
    exit 2
  fi
  echo "== bench/$name"
  node "bench/$name/main.ts"
done
