/**
 * Where each party binds and how the others reach it, for one runtime. The topology is the same on
 * every runtime; only these addresses differ (loopback ports for processes, container names and the
 * contract's fixed ports for docker).
 */

/** The node contract's ports (DESIGN.md, "Node contract"). */
export const CONTRACT_PORTS = { grpc: 7001, iroh: 7002, metrics: 9100 } as const;

/** The hub's name on every node network (docker) and the first link port there. */
export const HUB_HOST = 'hub';
export const DOCKER_LINK_BASE_PORT = 10000;

export interface NodePorts {
  grpc: number;
  iroh: number;
  metrics: number;
}

export interface Addressing {
  runtime: 'docker' | 'process';
  /** Host part of the node's bind addresses. */
  nodeBindHost: string;
  /** The node's own ports (1-based index). */
  nodePorts(index: number): NodePorts;
  /** The host under which the hub reaches node `index` (a link's upstream). */
  nodeHost(index: number): string;
  /** Host part of the hub's link listen addresses. */
  hubListenHost: string;
  /** The host a node uses to reach the hub. */
  hubHost: string;
  /** The hub port of the n-th link (0-based, in plan order). */
  linkPort(linkIndex: number): number;
}

/** Every party on 127.0.0.1: node i gets three ports from `basePort`, links follow the nodes. */
export function processAddressing(nodes: number, basePort: number): Addressing {
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort + processPortCount(nodes) > 65535) {
    throw new RangeError(`base port ${basePort} leaves no room for ${processPortCount(nodes)} ports`);
  }
  return {
    runtime: 'process',
    nodeBindHost: '127.0.0.1',
    nodePorts: (i) => ({
      grpc: basePort + 3 * (i - 1),
      iroh: basePort + 3 * (i - 1) + 1,
      metrics: basePort + 3 * (i - 1) + 2,
    }),
    nodeHost: () => '127.0.0.1',
    hubListenHost: '127.0.0.1',
    hubHost: '127.0.0.1',
    linkPort: (k) => basePort + 3 * nodes + k,
  };
}

/** How many consecutive ports (TCP and UDP) the process runtime needs for `nodes` nodes. */
export function processPortCount(nodes: number): number {
  return 3 * nodes + linkCount(nodes);
}

export interface DockerNames {
  /** The name node `index` has on its network (default `nI`). */
  node?: (index: number) => string;
  /** The hub's name on every node network (default `hub`). */
  hub?: string;
  /** Node `index`'s own ports (default: the contract's, the same on every node). */
  ports?: (index: number) => NodePorts;
}

/** A network per node, the hub on every network; names are container names (or aliases). */
export function dockerAddressing(names: DockerNames = {}): Addressing {
  return {
    runtime: 'docker',
    nodeBindHost: '0.0.0.0',
    nodePorts: names.ports ?? (() => ({ ...CONTRACT_PORTS })),
    nodeHost: names.node ?? ((i) => nodeId(i)),
    hubListenHost: '0.0.0.0',
    hubHost: names.hub ?? HUB_HOST,
    linkPort: (k) => DOCKER_LINK_BASE_PORT + k,
  };
}

/** Ordered pairs between nodes plus one link from the lab's client to every node. */
export function linkCount(nodes: number): number {
  return nodes * nodes;
}

export function nodeId(index: number): string {
  return `n${index}`;
}
