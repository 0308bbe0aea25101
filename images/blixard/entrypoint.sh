#!/bin/sh
# The real Blixard node's container entry. The lab writes /etc/blixard/start.sh once it knows how this
# node reaches its peers through the hub (and, for a joining node, the first node's ticket); until then
# the container waits. start.sh installs this node's address translation and then runs `blixard node`.
# A client container (no start.sh ever) only waits, and the lab runs the `blixard` CLI in it.
while [ ! -f /etc/blixard/start.sh ]; do
  [ -f /etc/blixard/client ] && exec sleep infinity
  sleep 0.2
done
exec /bin/sh /etc/blixard/start.sh
