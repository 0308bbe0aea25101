/**
 * The workload's own clients: per node, a gRPC channel and an Iroh channel on an endpoint of its own
 * (the lab client's identity), both through the node's client link, shared by every worker. A
 * channel that a call failed on is renewed (a new Iroh endpoint with it), so the history shows what
 * the cluster does, not what a stale client connection does — once per failure of that channel, not
 * once per call that was on it, and without cutting the calls still in flight.
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

/** A channel, and when it was opened (clock of `now`). */
interface Opened {
  entry: Promise<Entry>;
  at: number;
}

export interface WorkloadClientsOptions {
  /** The clock `renew` compares with (default performance.now). */
  now?: () => number;
  /** How long a replaced channel stays open for the calls still on it (default 5 s; the runner: the op deadline and a second). */
  drainMs?: number;
}

/** What the clients need of a cluster (the real Blixard's own client where it runs one). */
export type WorkloadCluster = Pick<Cluster, 'node' | 'client'> & Partial<Pick<Cluster, 'blixard'>>;

export class WorkloadClients {
  readonly #cluster: WorkloadCluster;
  readonly #entries = new Map<string, Opened>();
  /** Replaced channels, each closed when its timer fires (or with the rest on close()). */
  readonly #draining = new Map<Promise<Entry>, NodeJS.Timeout>();
  readonly #now: () => number;
  readonly #drainMs: number;
  #closed = false;

  constructor(cluster: WorkloadCluster, options: WorkloadClientsOptions = {}) {
    this.#cluster = cluster;
    this.#now = options.now ?? (() => performance.now());
    this.#drainMs = options.drainMs ?? 5000;
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
    let opened = this.#entries.get(key);
    if (!opened) {
      const entry = this.#open(nodeId, transport);
      opened = { entry, at: this.#now() };
      this.#entries.set(key, opened);
      const mine = opened;
      entry.catch(() => {
        if (this.#entries.get(key) === mine) this.#entries.delete(key);
      });
    }
    return await opened.entry;
  }

  /**
   * Replaces the node's channel (and Iroh endpoint) after a call that began at `since` failed on
   * it; the next call opens new ones. A channel opened after `since` is already a new one, and is
   * kept: the calls that were in flight together all fail alike and must not renew it again. The
   * replaced channel closes once the calls still on it have had their time (`drainMs`), instead of
   * failing them all at once.
   */
  renew(nodeId: string, transport: WorkloadTransport, since = Number.POSITIVE_INFINITY): boolean {
    const key = `${nodeId}/${transport}`;
    const opened = this.#entries.get(key);
    if (!opened || opened.at > since) return false;
    this.#entries.delete(key);
    const timer = setTimeout(() => {
      this.#draining.delete(opened.entry);
      void closeEntry(opened.entry);
    }, this.#drainMs);
    this.#draining.set(opened.entry, timer);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#entries.values()];
    this.#entries.clear();
    // Replaced channels close now too: nothing is left to drain once the workload has ended.
    for (const timer of this.#draining.values()) clearTimeout(timer);
    const draining = [...this.#draining.keys()];
    this.#draining.clear();
    await Promise.all([...all.map((o) => o.entry), ...draining].map(closeEntry));
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
