/**
 * Partitions as grudges (pure): which directed links to cut so that each node hears only the nodes it
 * should. A link `i-j` carries what i sends to j, so "j does not hear i" is the cut link i → j.
 */
import type { Random } from '../../node/lib/index.ts';
import type { PartitionKind } from './ops.ts';

export const CLIENT = 'client';

export interface DirectedLink {
  from: string;
  to: string;
}

export function linkNameOf(l: DirectedLink): string {
  return `${l.from}-${l.to}`;
}

export interface PartitionInput {
  kind: PartitionKind;
  /** Node ids in the cluster, e.g. ['n1', 'n2', 'n3']. */
  nodes: readonly string[];
  /** isolate / client: the node cut off. leader / leader-clients: the current leader. */
  target?: string | undefined;
  /** Shuffles the nodes for halves / bridge / majority-ring (default: id order). */
  random?: Random | undefined;
}

/** Each node and the set of nodes whose messages it drops. */
export type Grudge = Map<string, Set<string>>;

export interface PartitionPlan {
  kind: PartitionKind;
  /** Groups of nodes that still hear each other in full (for the record); majority-ring has none. */
  components: string[][];
  grudge: Grudge;
  /** The links to cut, sorted by name. */
  cut: DirectedLink[];
}

export function planPartition(input: PartitionInput): PartitionPlan {
  const nodes = [...input.nodes];
  if (nodes.length < 2 && input.kind !== 'client') {
    throw new Error(`a ${input.kind} partition needs at least 2 nodes, the cluster has ${nodes.length}`);
  }
  const order = input.random ? shuffle(nodes, input.random) : nodes;
  const target = (): string => {
    const t = input.target ?? nodes[0];
    if (t === undefined || !nodes.includes(t))
      throw new Error(`partition ${input.kind}: no node '${String(t)}' (nodes: ${nodes.join(', ')})`);
    return t;
  };
  switch (input.kind) {
    case 'isolate':
    case 'leader': {
      const t = target();
      return fromComponents(input.kind, [[t], nodes.filter((n) => n !== t)]);
    }
    case 'halves': {
      const half = Math.floor(order.length / 2);
      return fromComponents('halves', [order.slice(0, half), order.slice(half)]);
    }
    case 'bridge': {
      if (order.length < 3) throw new Error('a bridge partition needs at least 3 nodes');
      // Two halves that hear only the bridge node in the middle, which hears everyone.
      const mid = Math.floor(order.length / 2);
      const bridge = order[mid] as string;
      const left = order.slice(0, mid);
      const right = order.slice(mid + 1);
      const grudge = emptyGrudge(nodes);
      for (const a of left) for (const b of right) addMutual(grudge, a, b);
      return finish(
        'bridge',
        [
          [...left, bridge],
          [bridge, ...right],
        ],
        grudge,
      );
    }
    case 'majority-ring': {
      // Each node hears a window of a majority of the ring centred on itself: every node sees a
      // majority, but no two nodes see the same one.
      const n = order.length;
      const majority = Math.floor(n / 2) + 1;
      const before = Math.floor((majority - 1) / 2);
      const grudge = emptyGrudge(nodes);
      order.forEach((self, i) => {
        const hears = new Set<string>();
        for (let k = 0; k < majority; k++) hears.add(order[(i - before + k + n) % n] as string);
        for (const other of nodes) if (!hears.has(other)) grudge.get(self)?.add(other);
      });
      return finish('majority-ring', [], grudge);
    }
    case 'leader-clients': {
      // The leader alone, and the lab's client hears only it: every client op goes to the minority
      // side, where an old leader must neither commit nor serve a read.
      const t = target();
      const plan = fromComponents('leader-clients', [[t], nodes.filter((n) => n !== t)]);
      const toOthers = nodes.filter((n) => n !== t).map((to) => ({ from: CLIENT, to }));
      return { ...plan, cut: [...toOthers, ...plan.cut] };
    }
    case 'client': {
      // The lab's client loses the node; the nodes keep hearing each other.
      const t = target();
      return {
        kind: 'client',
        components: [nodes],
        grudge: emptyGrudge(nodes),
        cut: [{ from: CLIENT, to: t }],
      };
    }
  }
}

function emptyGrudge(nodes: readonly string[]): Grudge {
  return new Map(nodes.map((n) => [n, new Set<string>()]));
}

function addMutual(grudge: Grudge, a: string, b: string): void {
  grudge.get(a)?.add(b);
  grudge.get(b)?.add(a);
}

function fromComponents(kind: PartitionKind, components: string[][]): PartitionPlan {
  const all = components.flat();
  const grudge = emptyGrudge(all);
  for (const [i, c] of components.entries())
    for (const d of components.slice(i + 1)) for (const a of c) for (const b of d) addMutual(grudge, a, b);
  return finish(kind, components, grudge);
}

function finish(kind: PartitionKind, components: string[][], grudge: Grudge): PartitionPlan {
  const cut: DirectedLink[] = [];
  for (const [to, drops] of grudge) for (const from of drops) cut.push({ from, to });
  cut.sort((x, y) => linkNameOf(x).localeCompare(linkNameOf(y), 'en', { numeric: true }));
  return { kind, components, grudge, cut };
}

/** Fisher–Yates with a seeded source. */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Which nodes each node can still hear under a grudge (itself included). */
export function reachability(nodes: readonly string[], cut: readonly DirectedLink[]): Map<string, string[]> {
  const blocked = new Set(cut.map(linkNameOf));
  return new Map(
    nodes.map((to) => [to, nodes.filter((from) => from === to || !blocked.has(`${from}-${to}`))]),
  );
}
