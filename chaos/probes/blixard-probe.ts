/**
 * Link probes for the real Blixard (blixard-rs): what a link's source dials is the target node's own
 * Iroh address from its ticket, which the source's container translates to its link on the hub. A
 * probe is the `blixard` CLI run in that container (`cluster status` to the target's ticket), so it
 * goes exactly where the node's own Raft traffic goes. Each round trip is a new connection.
 */
import type { Cluster } from '../../lab/runtime/index.ts';
import type { LinkProbe, ProbeTarget } from './probe-types.ts';

function driverOf(cluster: Cluster) {
  const driver = cluster.blixard;
  if (!driver) throw new Error('not a blixard-rs cluster');
  return driver;
}

/** The UDP side of every link (Blixard serves no TCP), each aimed at its target's own address. */
export async function blixardProbeTargets(
  cluster: Cluster,
  only?: readonly string[],
): Promise<ProbeTarget[]> {
  const driver = driverOf(cluster);
  const targets: ProbeTarget[] = [];
  for (const link of cluster.state.links) {
    if (only && !only.includes(link.name)) continue;
    const to = cluster.state.nodes.find((n) => n.id === link.to);
    if (!to) continue;
    const [own] = await driver.ownAddresses(to.id);
    if (!own) throw new Error(`${to.id} has no address on its network`);
    targets.push({
      link: link.name,
      from: link.from,
      to: link.to,
      side: 'udp',
      address: own,
      listen: link.udp.listen,
      irohId: to.ticket ?? '',
    });
  }
  return targets;
}

export function openBlixardProbe(cluster: Cluster, target: ProbeTarget): LinkProbe {
  const driver = driverOf(cluster);
  const to = cluster.node(target.to).state;
  return {
    target,
    dialed: target.address,
    async rtt(timeoutMs = 5000) {
      const t0 = performance.now();
      const res = await driver.cli(to, ['cluster', 'status', '--addr', '{ticket}'], timeoutMs, target.from);
      const ms = performance.now() - t0;
      if (res.code !== 0 || !/Term: \d+/.test(res.stdout)) {
        const why = (res.stderr || res.stdout).trim().split('\n').at(-1) ?? '';
        throw new Error(
          `blixard cluster status from ${target.from} to ${target.to}: exit ${res.code} ${why}`,
        );
      }
      return ms;
    },
    // The CLI does not show its connection's paths; `reaches` is the check that none leads around the
    // hub: the source shares no network with the target's address.
    paths: async () => undefined,
    lostPackets: async () => undefined,
    reaches: (address) => driver.sharesNetwork(target.from, address),
    close: async () => {},
  };
}
