/**
 * Where each peer is: the config's `[cluster] peers` first (in the lab they
 * point at the hub's links), else the address a member announced when it
 * joined. The transport factory keeps one routed channel per peer.
 */
import type { PeerConfig } from '../config/index.ts';
import type { ClusterState } from '../state/index.ts';
import type { ClientFactory, PeerTarget, RoutedChannel } from '../transport/index.ts';

export class AddressBook {
  private readonly configured = new Map<string, PeerTarget>();
  private readonly state: ClusterState;
  private readonly factory: ClientFactory;

  constructor(peers: readonly PeerConfig[], state: ClusterState, factory: ClientFactory) {
    this.state = state;
    this.factory = factory;
    for (const p of peers) this.configured.set(p.id, toTarget(p.id, p.grpc, p.iroh_id, p.iroh_addrs));
  }

  target(id: string): PeerTarget | undefined {
    const configured = this.configured.get(id);
    if (configured) return configured;
    const member = this.state.member(id);
    if (!member) return undefined;
    const a = member.address;
    return toTarget(id, a.grpc || undefined, a.irohNodeId || undefined, a.irohAddrs);
  }

  channel(id: string): RoutedChannel | undefined {
    const target = this.target(id);
    return target ? this.factory.channel(target) : undefined;
  }

  configuredIds(): string[] {
    return [...this.configured.keys()];
  }

  /** Iroh node ids of every configured peer and known member: who may connect. */
  irohIds(): Set<string> {
    const ids = new Set<string>();
    for (const t of this.configured.values()) if (t.iroh) ids.add(t.iroh.nodeId);
    for (const m of this.state.members()) if (m.address.irohNodeId) ids.add(m.address.irohNodeId);
    return ids;
  }
}

function toTarget(
  id: string,
  grpc: string | undefined,
  irohId: string | undefined,
  irohAddrs: string[],
): PeerTarget {
  const iroh = irohId && irohAddrs.length > 0 ? { nodeId: irohId, addrs: irohAddrs } : undefined;
  return { id, ...(grpc ? { grpc } : {}), ...(iroh ? { iroh } : {}) };
}
