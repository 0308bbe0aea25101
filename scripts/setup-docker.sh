#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, idempotently and quietly when nothing is to do:
#  1. installs Debian's docker.io when there is no dockerd (apt-get update once, then install);
#  2. starts dockerd in the background when `docker info` does not answer, logging to
#     .tools/dockerd.log, and waits (bounded) until it answers.
#
# Flags: dockerd starts with its defaults (overlay2 storage, iptables on). iptables is what keeps
# user-defined bridge networks apart from each other, which the lab relies on (one network per node,
# only the hub on all of them), so it is only dropped as a last resort. If dockerd exits at start, the
# next flag set is tried: `--iptables=false` (kernels without nf_tables/xtables support), then the
# vfs storage driver (kernels or backing filesystems without overlayfs). DOCKERD_FLAGS, when set,
# is used alone instead of that sequence. Which flags worked is written to .tools/dockerd.flags.
#
# Environment: DOCKER_WAIT_SECONDS (default 60) bounds the wait for each start attempt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
log="$tools/dockerd.log"
wait_seconds=${DOCKER_WAIT_SECONDS:-60}

answers() { timeout 15 docker info >/dev/null 2>&1; }
# The end of the daemon's log without containerd's gRPC chatter.
log_tail() { [ -f "$log" ] && grep -Ev 'module=grpc|level=(info|debug)' "$log" | tail -n "$1" >&2 || true; }

if answers; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-docker: the Docker daemon does not answer and starting it needs root" >&2
  exit 1
fi

# One setup at a time (test workers may call this together): the others wait, then find it answering.
mkdir -p "$tools"
exec 9>"$tools/setup-docker.lock"
flock 9
if answers; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "setup-docker: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io >/dev/null
fi
if ! command -v docker >/dev/null 2>&1; then
  echo "setup-docker: dockerd is installed but no docker CLI was found" >&2
  exit 1
fi

# A dockerd that runs but does not answer (still starting, or stuck): wait for it before starting another.
if pid=$(pgrep -x dockerd | head -n1) && [ -n "$pid" ]; then
  for _ in $(seq 1 "$wait_seconds"); do
    if answers; then exit 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "setup-docker: dockerd (pid $pid) runs but 'docker info' did not answer within ${wait_seconds}s" >&2
    log_tail 20
    exit 1
  fi
fi

if [ -n "${DOCKERD_FLAGS:-}" ]; then
  attempts=("$DOCKERD_FLAGS")
else
  attempts=("" "--iptables=false" "--storage-driver=vfs" "--storage-driver=vfs --iptables=false")
fi

for flags in "${attempts[@]}"; do
  echo "setup-docker: starting dockerd${flags:+ $flags} (log: $log)"
  {
    echo "--- $(date -u +%FT%TZ) dockerd $flags"
  } >>"$log"
  # setsid: the daemon outlives this script and the shell that ran it.
  # shellcheck disable=SC2086
  setsid dockerd $flags >>"$log" 2>&1 </dev/null 9>&- &
  pid=$!
  for _ in $(seq 1 "$wait_seconds"); do
    if answers; then
      echo "$flags" >"$tools/dockerd.flags"
      [ -n "$flags" ] && echo "setup-docker: dockerd needed '$flags' on this machine"
      exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "setup-docker: dockerd (pid $pid) started but 'docker info' did not answer within ${wait_seconds}s" >&2
    log_tail 20
    exit 1
  fi
  echo "setup-docker: dockerd${flags:+ $flags} exited at start:" >&2
  log_tail 3
done

echo "setup-docker: no dockerd flag set worked; last lines of $log:" >&2
log_tail 20
exit 1
