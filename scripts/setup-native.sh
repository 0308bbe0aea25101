#!/usr/bin/env bash
# Builds the project's Iroh binding (native/iroh, a napi-rs crate) with cargo, release and stripped,
# into native/iroh/dist/blixard_iroh.node (ignored by git), beside the pure-Rust echo that
# bench/transport uses as its ceiling. Cargo's target directory lives outside the clone
# (BLIXARD_CARGO_TARGET_DIR, by default ~/.cache/blixard-lab/cargo-target), so a fresh clone
# reuses it. Silent when the crate's sources and Cargo.lock hash to what was last built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
crate="$root/native/iroh"
dist="$crate/dist"
addon="$dist/blixard_iroh.node"
echo_bin="$dist/iroh-echo-bench"
stamp="$dist/.sources-sha"
min_rust=1.91

want=$(cd "$crate" && find Cargo.toml Cargo.lock build.rs src -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f "$addon" ] && [ -x "$echo_bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

for tool in cargo rustc; do
  if ! command -v "$tool" >/dev/null; then
    echo "setup-native: $tool not found in PATH; the Iroh binding (native/iroh) needs Rust >= $min_rust" >&2
    echo "setup-native: install it with rustup (https://rustup.rs), then run make setup again" >&2
    exit 1
  fi
done
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$min_rust" "$have" | sort -V | head -1)" != "$min_rust" ]; then
  echo "setup-native: rustc $have is too old; the Iroh binding (native/iroh) needs Rust >= $min_rust (rustup update)" >&2
  exit 1
fi

target="${BLIXARD_CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/blixard-lab/cargo-target}"
mkdir -p "$target" "$dist"
echo "setup-native: cargo build --release native/iroh (target dir $target)"
started=$(date +%s)
(cd "$crate" && CARGO_TARGET_DIR="$target" cargo build --release --locked --quiet)
echo "setup-native: built in $(($(date +%s) - started)) s"

# Copy, then rename: a running process keeps the file it loaded.
cp "$target/release/libblixard_iroh.so" "$addon.tmp" && mv -f "$addon.tmp" "$addon"
cp "$target/release/iroh-echo-bench" "$echo_bin.tmp" && mv -f "$echo_bin.tmp" "$echo_bin"
# The addon must load, not merely be present on disk.
node -e "const m = require(process.argv[1]); if (typeof m.Endpoint?.bind !== 'function') throw new Error('no Endpoint.bind')" "$addon" \
  || { echo "setup-native: $addon was built but does not load" >&2; exit 1; }
echo "$want" >"$stamp"
