#!/usr/bin/env bash
# Builds the real Blixard (`blixard` binary, release, mock VM backend available) for the lab's
# `blixard-rs` system under test, and prints the binary's path on its last line of stdout.
#
#   scripts/setup-blixard.sh                 # the pinned commit of ../shared/sut/blixard.bundle
#   BLIXARD_REF=c127604 scripts/setup-blixard.sh   # any commit of the bundle
#   BLIXARD_SRC=~/src/blixard scripts/setup-blixard.sh   # a user's checkout, at its HEAD
#   BLIXARD_NO_BUILD=1 ...                    # only look: exit 3 when that commit is not built yet
#
# Binaries are cached outside the clone and keyed by commit:
# ~/.cache/blixard-lab/blixard/<commit>/blixard (BLIXARD_CACHE_DIR for the root). The bundle's commits
# are built in one checkout (~/.cache/blixard-lab/blixard-src/main) and one cargo target directory
# (~/.cache/blixard-lab/blixard-target), so a second commit rebuilds only the crates that changed.
# A cold build compiles ~870 crates: about 15-25 minutes on 2 busy cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${BLIXARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/blixard-lab}"
# ../shared beside the clone; for a git worktree, beside its main checkout.
main_root=$(dirname "$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || echo "$root/.git")")
bundle="${BLIXARD_BUNDLE:-}"
if [ -z "$bundle" ]; then
  for b in "$root/../shared/sut/blixard.bundle" "$main_root/../shared/sut/blixard.bundle"; do
    [ -f "$b" ] && { bundle=$b; break; }
  done
  bundle=${bundle:-$root/../shared/sut/blixard.bundle}
fi
# main of the bundle (2025-08-18), "fix(raft): resolve node restart candidate bug".
pinned=3eb64111eee5095b59490b61bc6ba98f4aeb63f3
target="$cache/blixard-target"
say() { echo "setup-blixard: $*" >&2; }

# Debian packages the build needs (raft-proto runs protoc; libsystemd-sys links libsystemd).
missing=()
command -v protoc >/dev/null || missing+=(protobuf-compiler)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists libsystemd 2>/dev/null || missing+=(libsystemd-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "the build needs Debian packages ${missing[*]}; run as root: apt-get install -y ${missing[*]}"
    exit 1
  fi
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { say "cargo not found in PATH (install Rust with rustup)"; exit 1; }

if [ -n "${BLIXARD_SRC:-}" ]; then
  src=$(cd "$BLIXARD_SRC" && pwd) || { say "BLIXARD_SRC=$BLIXARD_SRC is not a folder"; exit 1; }
  [ -f "$src/blixard/Cargo.toml" ] || { say "BLIXARD_SRC=$src holds no blixard/Cargo.toml: not a Blixard source tree"; exit 1; }
  commit=$(git -C "$src" rev-parse HEAD)
  # A checkout with uncommitted changes is keyed by its diff too, so it never reuses a clean build.
  if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
    commit="$commit-dirty-$(git -C "$src" diff HEAD | sha256sum | cut -c1-12)"
  fi
else
  [ -f "$bundle" ] || { say "no Blixard bundle at $bundle (set BLIXARD_BUNDLE or BLIXARD_SRC)"; exit 1; }
  src="$cache/blixard-src/main"
  if [ ! -d "$src/.git" ]; then
    say "cloning $bundle into $src"
    mkdir -p "$(dirname "$src")"
    git clone --quiet "$bundle" "$src"
  fi
  ref="${BLIXARD_REF:-$pinned}"
  commit=$(git -C "$src" rev-parse --verify --quiet "$ref^{commit}" || true)
  if [ -z "$commit" ]; then
    git -C "$src" fetch --quiet origin '+refs/heads/*:refs/remotes/origin/*'
    commit=$(git -C "$src" rev-parse --verify --quiet "$ref^{commit}") \
      || { say "BLIXARD_REF=$ref is no commit of $bundle"; exit 1; }
  fi
fi

out="$cache/blixard/$commit"
if [ -x "$out/blixard" ]; then
  echo "$out/blixard"
  exit 0
fi

if [ "${BLIXARD_NO_BUILD:-}" = 1 ]; then
  say "Blixard $commit is not built ($out/blixard); scripts/setup-blixard.sh builds it"
  exit 3
fi
if [ -z "${BLIXARD_SRC:-}" ] && [ "$(git -C "$src" rev-parse HEAD)" != "$commit" ]; then
  git -C "$src" checkout --quiet --force "$commit"
fi
say "cargo build --release -p blixard at $commit (target dir $target; a cold build takes 15-25 min)"
started=$(date +%s)
(cd "$src" && CARGO_TARGET_DIR="$target" nice -n 10 cargo build --release --locked --quiet -p blixard)
mkdir -p "$out"
# Copy, then rename: a half-copied binary is never taken for a build.
cp "$target/release/blixard" "$out/blixard.tmp" && mv -f "$out/blixard.tmp" "$out/blixard"
echo "$(($(date +%s) - started))" >"$out/build-seconds"
say "built in $(($(date +%s) - started)) s: $out/blixard"
echo "$out/blixard"
