#!/usr/bin/env bash
# The chaos hub: Toxiproxy (TCP links) and the project's UDP toxic proxy (Iroh links), side by side.
# The hub lives as long as both do: when either exits, the other is stopped and the hub exits with
# the first one's status. SIGTERM/SIGINT stop both.
#
# Environment:
#   TOXIPROXY_PORT (8474)       Toxiproxy's HTTP API
#   UDP_PROXY_ADMIN_PORT (8475) the UDP proxy's HTTP API (same shape as Toxiproxy's)
#   HUB_BIND (0.0.0.0)          address both APIs listen on
#   UDP_PROXY_ARGS              replaces the UDP proxy's default arguments
set -uo pipefail
bind=${HUB_BIND:-0.0.0.0}
toxiproxy_port=${TOXIPROXY_PORT:-8474}
udp_admin_port=${UDP_PROXY_ADMIN_PORT:-8475}
udp_main=/app/hub/udp/main.ts

pids=()
stop() { [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null; }
trap stop TERM INT

toxiproxy-server -host "$bind" -port "$toxiproxy_port" &
pids+=($!)

if [ -f "$udp_main" ]; then
  if [ -n "${UDP_PROXY_ARGS:-}" ]; then
    read -ra args <<<"$UDP_PROXY_ARGS"
  else
    args=(--host "$bind" --port "$udp_admin_port")
  fi
  UDP_PROXY_ADMIN="$bind:$udp_admin_port" node "$udp_main" "${args[@]}" &
  pids+=($!)
else
  echo "hub: $udp_main is not in this image; only Toxiproxy (TCP) runs" >&2
fi

wait -n
status=$?
stop
wait
exit "$status"
