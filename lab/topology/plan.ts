/**
 * The link plan: for every ordered pair of nodes (i → j) and for the lab's client (client → j), one
 * port on the hub that carries a TCP link (Toxiproxy, to j's gRPC port) and a UDP link (the UDP toxic
 * proxy, to j's Iroh port). Node i is given only the (i → j) link's address for peer j.
 */
import { type Addressing, linkCount, type NodePorts, nodeId } from './addressing.ts';

export const CLIENT = 'client';

export interface NodePlan {
  id: string;
  /** 1-based. */
  index: number;
  ports: NodePorts;
  grpcBind: string;
  irohBind: string;
  metricsBind: string;
  /** Where the hub (and Prometheus) reach this node directly, not through a link. */
  grpcAddress: string;
  irohAddress: string;
  metricsAddress: string;
}

export interface LinkEnds {
  /** Where the hub listens for this link. */
  listen: string;
  /** Where the hub forwards to (the target node's port). */
  upstream: string;
}

export interface LinkPlan {
  /** `<from>-<to>`, e.g. `n1-n2` or `client-n3`: the proxy's name on Toxiproxy and on the UDP proxy. */
  name: string;
  from: string;
  to: string;
  /** The hub port; the TCP and the UDP link share the number. */
  port: number;
  /** The address `from` dials to reach `to` (through the hub). */
  dial: string;
  tcp: LinkEnds;
  udp: LinkEnds;
}

export interface Topology {
  runtime: Addressing['runtime'];
  nodes: NodePlan[];
  links: LinkPlan[];
}

export const MAX_NODES = 32;

export function planTopology(nodes: number, addressing: Addressing): Topology {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new RangeError(`nodes must be an integer from 1 to ${MAX_NODES}, got ${nodes}`);
  }
  const plans: NodePlan[] = [];
  for (let i = 1; i <= nodes; i++) {
    const ports = addressing.nodePorts(i);
    const bind = addressing.nodeBindHost;
    const host = addressing.nodeHost(i);
    plans.push({
      id: nodeId(i),
      index: i,
      ports,
      grpcBind: `${bind}:${ports.grpc}`,
      irohBind: `${bind}:${ports.iroh}`,
      metricsBind: `${bind}:${ports.metrics}`,
      grpcAddress: `${host}:${ports.grpc}`,
      irohAddress: `${host}:${ports.iroh}`,
      metricsAddress: `${host}:${ports.metrics}`,
    });
  }
  const links: LinkPlan[] = [];
  const sources = [CLIENT, ...plans.map((p) => p.id)];
  for (const from of sources) {
    for (const to of plans) {
      if (from === to.id) continue;
      const port = addressing.linkPort(links.length);
      const listen = `${addressing.hubListenHost}:${port}`;
      links.push({
        name: linkName(from, to.id),
        from,
        to: to.id,
        port,
        dial: `${addressing.hubHost}:${port}`,
        tcp: { listen, upstream: to.grpcAddress },
        udp: { listen, upstream: to.irohAddress },
      });
    }
  }
  if (links.length !== linkCount(nodes)) throw new Error('link plan: wrong number of links');
  return { runtime: addressing.runtime, nodes: plans, links };
}

export function linkName(from: string, to: string): string {
  return `${from}-${to}`;
}

/** The link from `from` to `to`; throws when the plan has none. */
export function findLink(topology: Topology, from: string, to: string): LinkPlan {
  const link = topology.links.find((l) => l.from === from && l.to === to);
  if (!link) throw new Error(`no link ${linkName(from, to)} in the plan`);
  return link;
}

export function findNode(topology: Topology, id: string): NodePlan {
  const node = topology.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`no node '${id}' (nodes: ${topology.nodes.map((n) => n.id).join(', ')})`);
  return node;
}
