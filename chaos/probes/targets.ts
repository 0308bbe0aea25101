/**
 * What each link side's source dials: for `client-nJ` the address the lab's clients use, for
 * `nI-nJ` the peer address in node nI's own config (read back through lab/topology).
 */
import type { LinkSide } from '../../hub/links/index.ts';
import type { Cluster } from '../../lab/runtime/index.ts';
import { readNodeConfig } from '../../lab/topology/index.ts';
import { blixardProbeTargets } from './blixard-probe.ts';
import type { ProbeTarget } from './probe-types.ts';

/** Every side of every link (or of the links named in `only`) that its target node serves. */
export async function probeTargets(cluster: Cluster, only?: readonly string[]): Promise<ProbeTarget[]> {
  if (cluster.sut === 'blixard-rs') return blixardProbeTargets(cluster, only);
  const peerAddrs = new Map<string, { grpc?: string | undefined; iroh?: string | undefined }>();
  const keyFiles = new Map<string, string>();
  for (const node of cluster.state.nodes) {
    const config = await readNodeConfig(node.configPath);
    keyFiles.set(node.id, config.transport.iroh.secret_key_file);
    for (const peer of config.cluster.peers) {
      peerAddrs.set(`${node.id}-${peer.id}`, { grpc: peer.grpc, iroh: peer.iroh_addrs[0] });
    }
  }
  const targets: ProbeTarget[] = [];
  for (const link of cluster.state.links) {
    if (only && !only.includes(link.name)) continue;
    const to = cluster.state.nodes.find((n) => n.id === link.to);
    if (!to) continue;
    const served: LinkSide[] = to.mode === 'grpc' ? ['tcp'] : to.mode === 'iroh' ? ['udp'] : ['tcp', 'udp'];
    for (const side of served) {
      let address: string | undefined;
      if (link.from === 'client') address = side === 'tcp' ? to.clientGrpc : to.clientIroh;
      else {
        const peer = peerAddrs.get(link.name);
        address = side === 'tcp' ? peer?.grpc : peer?.iroh;
      }
      if (!address) throw new Error(`${link.from}'s config has no ${side} address for ${link.to}`);
      targets.push({
        link: link.name,
        from: link.from,
        to: link.to,
        side,
        address,
        listen: side === 'tcp' ? link.tcp.listen : link.udp.listen,
        irohId: to.irohId,
        ...(cluster.runtime === 'docker' &&
          link.from !== 'client' && {
            container: cluster.state.nodes.find((n) => n.id === link.from)?.container,
            keyFile: keyFiles.get(link.from),
          }),
      });
    }
  }
  return targets;
}

/**
 * Where a node's own Iroh endpoint listens, as others could reach it without the hub: its bind
 * address (process runtime) or its container's addresses on its networks (docker).
 */
export async function directIrohAddresses(cluster: Cluster, nodeId: string): Promise<string[]> {
  if (cluster.blixard) return cluster.blixard.ownAddresses(nodeId);
  const node = cluster.state.nodes.find((n) => n.id === nodeId);
  if (!node) return [];
  const bind = (await readNodeConfig(node.configPath)).transport.iroh.bind_address;
  const port = bind.slice(bind.lastIndexOf(':') + 1);
  if (!node.container) return [bind];
  const { default: Docker } = await import('dockerode');
  const info = await new Docker().getContainer(node.container).inspect();
  return Object.values(info.NetworkSettings.Networks)
    .map((n) => n.IPAddress)
    .filter((ip) => ip)
    .map((ip) => `${ip}:${port}`);
}
