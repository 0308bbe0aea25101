/**
 * Renders one node's TOML config from the plan: the node binds its own ports, and knows each peer j
 * only by the hub address of the (i → j) link, on both transports.
 */
import { stringify } from 'smol-toml';
import type { ServiceGroup } from '../../node/transport/index.ts';
import { findLink, findNode, type Topology } from './plan.ts';

export type TransportMode = 'grpc' | 'dual' | 'iroh';
export const TRANSPORT_MODES: readonly TransportMode[] = ['grpc', 'dual', 'iroh'];

/** The `[transport.migration]` section, in the lab's words. */
export interface LabStrategy {
  preferIroh: readonly ServiceGroup[];
  raftTransport: 'grpc' | 'iroh' | { adaptive: { latencyThresholdMs: number } };
  fallbackToGrpc: boolean;
}

/**
 * gRPC mode keeps everything on gRPC; Iroh mode has nothing to fall back to; dual mode starts where
 * the migration starts (everything on gRPC, Iroh ready, fallback on).
 */
export function defaultStrategy(mode: TransportMode): LabStrategy {
  if (mode === 'grpc') return { preferIroh: [], raftTransport: 'grpc', fallbackToGrpc: false };
  if (mode === 'iroh') return { preferIroh: [], raftTransport: 'iroh', fallbackToGrpc: false };
  return { preferIroh: [], raftTransport: 'grpc', fallbackToGrpc: true };
}

export interface NodeConfigInput {
  mode: TransportMode;
  strategy?: LabStrategy;
  /** Iroh node id (public key) of every node, by node id. */
  irohIds: Readonly<Record<string, string>>;
  /** Iroh node ids admitted besides cluster members (the lab's client). */
  admittedClients: readonly string[];
  /** data_dir as the node sees it. */
  dataDir: string;
  /** The Iroh key file as the node sees it (default `iroh_secret.key` in data_dir). */
  secretKeyFile?: string;
  /**
   * The cluster's join token file as the node sees it. Unset (the lab's runtimes today): no
   * `join_token_file`, so gRPC membership changes stay open as they always were.
   */
  joinTokenFile?: string;
}

export function nodeConfigObject(
  topology: Topology,
  id: string,
  input: NodeConfigInput,
): Record<string, unknown> {
  const self = findNode(topology, id);
  const strategy = input.strategy ?? defaultStrategy(input.mode);
  const raft = strategy.raftTransport;
  const peers = topology.nodes
    .filter((n) => n.id !== id)
    .map((peer) => {
      const link = findLink(topology, id, peer.id);
      // A peer is given only the addresses of what it serves: a node derives the peer's mode from them.
      return {
        id: peer.id,
        ...(input.mode !== 'iroh' && { grpc: link.dial }),
        ...(input.mode !== 'grpc' && { iroh_id: irohIdOf(input.irohIds, peer.id), iroh_addrs: [link.dial] }),
      };
    });
  return {
    node: { id, data_dir: input.dataDir },
    transport: {
      mode: input.mode,
      grpc: { bind_address: self.grpcBind },
      iroh: {
        bind_address: self.irohBind,
        secret_key_file: input.secretKeyFile ?? 'iroh_secret.key',
        relay: 'disabled',
        admitted_clients: [...input.admittedClients],
      },
      migration: {
        prefer_iroh: [...strategy.preferIroh],
        raft_transport:
          typeof raft === 'string'
            ? raft
            : { adaptive: { latency_threshold_ms: raft.adaptive.latencyThresholdMs } },
        fallback_to_grpc: strategy.fallbackToGrpc,
      },
    },
    // Every initial member bootstraps with the same voter set.
    cluster: {
      bootstrap: true,
      peers,
      ...(input.joinTokenFile !== undefined && { join_token_file: input.joinTokenFile }),
    },
    metrics: { bind_address: self.metricsBind },
  };
}

export function renderNodeConfig(topology: Topology, id: string, input: NodeConfigInput): string {
  return `# Rendered by the lab for ${id}: peers are reached only through the hub's links.\n${stringify(
    nodeConfigObject(topology, id, input),
  )}\n`;
}

function irohIdOf(ids: Readonly<Record<string, string>>, node: string): string {
  const id = ids[node];
  if (id === undefined) throw new Error(`no Iroh node id for ${node}`);
  return id;
}
