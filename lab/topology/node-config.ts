/**
 * A node's TOML config, owned here: rendered from the plan (the node binds its own ports and knows
 * each peer j only by the hub address of the (i → j) link, on both transports), read back typed
 * through the node's own schema, and changed (a new transport mode) only through this file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'smol-toml';
import { type NodeConfig, parseNodeConfig } from '../../node/config/index.ts';
import {
  defaultStrategy,
  type MigrationStrategy,
  strategyFromFile,
  strategyToFile,
  type TransportMode,
} from '../../node/transport/index.ts';
import { findLink, findNode, type Topology } from './plan.ts';

export interface NodeConfigInput {
  mode: TransportMode;
  strategy?: MigrationStrategy;
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
      migration: strategyToFile(strategy),
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

/**
 * A rendered config read back through the node's own schema (so the lab reads exactly what the node
 * reads). Paths are as the node sees them: on docker, inside its container.
 */
export async function readNodeConfig(path: string): Promise<NodeConfig> {
  return parseNodeConfig(await readFile(path, 'utf8'), path);
}

/** What a rollout (or a mode change) sets on one node: its mode and its migration strategy. */
export interface NodeSettings {
  mode: TransportMode;
  strategy: MigrationStrategy;
}

/**
 * Rewrites a node's transport mode in place, keeping everything else; gRPC mode also gets the gRPC-only
 * strategy (it serves no Iroh). The result is checked against the node's schema before it is written.
 */
export async function writeNodeMode(
  path: string,
  mode: TransportMode,
  reason: string,
  irohIds: Readonly<Record<string, string>> = {},
): Promise<void> {
  const current = (await readNodeConfig(path)).transport;
  const strategy = mode === 'grpc' ? defaultStrategy('grpc') : strategyFromFile(current.migration);
  await writeNodeSettings(path, { mode, strategy }, `transport mode changed to ${mode} ${reason}`, irohIds);
}

/**
 * Rewrites a node's `[transport] mode` and `[transport.migration]`, keeping everything else. Its peers
 * are given the addresses of what the node now speaks, as when rendered (a gRPC-mode node only gRPC
 * addresses, an Iroh-mode node only Iroh ones): a peer's Iroh address is the same hub port as its gRPC
 * one, its id from `irohIds`. Checked against the node's own schema before anything is written, so a
 * setting the node would refuse (e.g. Iroh groups in gRPC mode) is an error here, naming the field.
 */
export async function writeNodeSettings(
  path: string,
  settings: NodeSettings,
  reason: string,
  irohIds: Readonly<Record<string, string>> = {},
): Promise<void> {
  const config = parse(await readFile(path, 'utf8')) as {
    transport?: Record<string, unknown>;
    cluster?: { peers?: Record<string, unknown>[] };
  };
  if (!config.transport) throw new Error(`${path}: no [transport] section`);
  const { mode } = settings;
  config.transport.mode = mode;
  config.transport.migration = strategyToFile(settings.strategy);
  for (const peer of config.cluster?.peers ?? []) {
    const dial = (peer.grpc ?? (peer.iroh_addrs as string[] | undefined)?.[0]) as string | undefined;
    if (mode === 'iroh') delete peer.grpc;
    else if (dial !== undefined) peer.grpc = dial;
    if (mode === 'grpc') {
      delete peer.iroh_id;
      delete peer.iroh_addrs;
    } else {
      peer.iroh_id ??= irohIds[peer.id as string];
      if (dial !== undefined) peer.iroh_addrs = [dial];
    }
  }
  const text = `# Rendered by the lab; ${reason}.\n${stringify(config)}\n`;
  parseNodeConfig(text, path);
  await writeFile(path, text);
}

function irohIdOf(ids: Readonly<Record<string, string>>, node: string): string {
  const id = ids[node];
  if (id === undefined) throw new Error(`no Iroh node id for ${node}`);
  return id;
}
