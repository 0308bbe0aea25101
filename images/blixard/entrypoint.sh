#!/bin/sh
# The real Blixard node's container entry. The lab writes /lab/start.sh once it knows how this
# node reaches its peers through the hub (and, for a joining node, the first node's ticket); until then
# the container waits. start.sh installs this node's address translation and then runs `blixard node`.
# A client container (no start.sh ever) only waits, and the lab runs the `blixard` CLI in it.
while [ ! -f /lab/start.sh ]; do
  [ -f /lab/client ] && exec sleep infinity
  sleep 0.2
done
exec /bin/sh /lab/start.sh
