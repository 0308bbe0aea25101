/**
 * The workload's own clients: per node, a gRPC channel and an Iroh channel on an endpoint of its own
 * (the lab client's identity), both through the node's client link. A channel that keeps failing a
 * node is renewed (a new Iroh endpoint with it), so the history shows what the cluster does, not what
 * a stale client connection does.
 */

import type { Cluster } from '../../lab/runtime/index.ts';
import { orAbsent, release } from '../../node/lib/index.ts';
import {
  BlixardService,
  ClusterService,
  createClient,
  GrpcChannel,
  type RpcChannel,
  type TypedClient,
} from '../../node/transport/index.ts';

export type WorkloadTransport = 'grpc' | 'iroh';

/** Both services of one node over one transport, on one channel. */
export interface NodeServices {
  blixard: TypedClient<typeof BlixardService>;
  cluster: TypedClient<typeof ClusterService>;
}

interface Entry extends NodeServices {
  channel: RpcChannel;
  client: TypedClient<typeof BlixardService>;
}

export class WorkloadClients {
  readonly #cluster: Cluster;
  readonly #entries = new Map<string, Promise<Entry>>();
  #closed = false;

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
  }

  /** Whether the node serves the transport now (a mode change may have moved it). */
  serves(nodeId: string, transport: WorkloadTransport): boolean {
    const mode = this.#cluster.node(nodeId).state.mode;
    return mode === 'dual' || mode === transport;
  }

  async client(nodeId: string, transport: WorkloadTransport): Promise<TypedClient<typeof BlixardService>> {
    return (await this.services(nodeId, transport)).blixard;
  }

  /** The node's channel over the transport (opened once, kept until renewed or closed). */
  async services(nodeId: string, transport: WorkloadTransport): Promise<NodeServices> {
    if (this.#closed) throw new Error('workload clients closed');
    const key = `${nodeId}/${transport}`;
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = this.#open(nodeId, transport);
      this.#entries.set(key, entry);
      entry.catch(() => this.#entries.delete(key));
    }
    return await entry;
  }

  /** Drops the node's channel (and Iroh endpoint); the next call opens new ones. */
  async renew(nodeId: string, transport: WorkloadTransport): Promise<void> {
    const key = `${nodeId}/${transport}`;
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    if (entry) await closeEntry(entry);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map(closeEntry));
  }

  async #open(nodeId: string, transport: WorkloadTransport): Promise<Entry> {
    const node = this.#cluster.node(nodeId).state;
    // The real Blixard is spoken to through its own client (lab/runtime/blixard).
    const own = this.#cluster.blixard?.channel(node);
    if (own) return entryOf(own);
    if (transport === 'grpc') {
      return entryOf(new GrpcChannel(node.clientGrpc));
    }
    const channel = this.#cluster.client.irohChannel(
      { nodeId: node.irohId, addrs: [node.clientIroh] },
      { connectTimeoutMs: 3000 },
    );
    return entryOf(channel);
  }
}

function entryOf(channel: RpcChannel): Entry {
  const blixard = createClient(BlixardService, channel);
  return { channel, client: blixard, blixard, cluster: createClient(ClusterService, channel) };
}

async function closeEntry(entry: Promise<Entry>): Promise<void> {
  const e = await orAbsent(entry);
  if (!e) return;
  await release(e.channel.close());
}
