#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the browser test of the run report
# (cli/report/browser.test.ts drives it with playwright-core through its executablePath).
# Idempotent and silent when a chromium is already on PATH; a clear error when it cannot install.
set -euo pipefail

if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
  exit 0
fi
for name in chromium chromium-browser; do
  if command -v "$name" >/dev/null 2>&1; then
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-chromium: chromium is not installed and apt-get is not available; install Debian's 'chromium' package (or set CHROMIUM_PATH to a Chromium binary)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup-chromium: installing chromium needs root (apt-get install -y chromium); run as root or install it by hand" >&2
    exit 1
  fi
fi

echo "setup-chromium: apt-get install -y chromium"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends chromium >/dev/null; then
  $sudo apt-get update >/dev/null || true
  if ! $sudo apt-get install -y --no-install-recommends chromium >/dev/null; then
    echo "setup-chromium: apt-get install -y chromium failed; the report's browser test needs Debian's chromium package" >&2
    exit 1
  fi
fi
command -v chromium >/dev/null 2>&1 || {
  echo "setup-chromium: apt-get installed chromium but no 'chromium' is on PATH" >&2
  exit 1
}
