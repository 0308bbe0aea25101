#!/usr/bin/env bash
# Installs Debian's etcd-server when `etcd` is missing: bench/raft's peer (a 3-member etcd on loopback).
# Only `make bench` needs it; `make test` does not. Idempotent and silent when etcd is there.
set -euo pipefail
if command -v etcd >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-etcd: etcd is missing and installing Debian's etcd-server needs root (bench/raft then skips its etcd peer)" >&2
  exit 0
fi
echo "setup-etcd: installing Debian's etcd-server"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq etcd-server >/dev/null
command -v etcd >/dev/null || { echo "setup-etcd: etcd-server installed but no etcd in PATH" >&2; exit 1; }
