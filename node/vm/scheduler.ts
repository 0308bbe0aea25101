/**
 * VM placement: a pure function from the nodes' reported capacity and what
 * their VMs already take to one node (or a reason why none fits). The leader
 * calls it; the state machine re-checks the fit when the create applies, so
 * two placements racing for the last room cannot both win.
 */

export const STRATEGIES = ['most-available', 'bin-pack', 'round-robin', 'anti-affinity'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface NodeRoom {
  id: string;
  capacity: { vcpus: number; memoryMb: number };
  used: { vcpus: number; memoryMb: number };
  /** Anti-affinity groups of the VMs the node holds. */
  groups: readonly string[];
  /** False for a node the leader does not hear from: it gets nothing new. */
  live: boolean;
}

export interface PlacementRequest {
  vcpus: number;
  memoryMb: number;
  antiAffinityGroup: string;
}

export type Placement =
  | { ok: true; node: string; reason: string; alternatives: string[] }
  | { ok: false; reason: string };

/**
 * Picks a node for `req`. Anti-affinity is a hard constraint under every
 * strategy when the VM names a group; `anti-affinity` itself spreads like
 * most-available. `after` is the node round-robin placed on last.
 */
export function placeVm(
  nodes: readonly NodeRoom[],
  req: PlacementRequest,
  strategy: Strategy,
  after = '',
): Placement {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const refusals: string[] = [];
  const fits: NodeRoom[] = [];
  for (const n of sorted) {
    const why = refusal(n, req);
    if (why) refusals.push(`${n.id}: ${why}`);
    else fits.push(n);
  }
  if (fits.length === 0) {
    const what = `${req.vcpus} vcpus, ${req.memoryMb} MB`;
    return {
      ok: false,
      reason:
        sorted.length === 0
          ? `no node has reported its capacity (${what} requested)`
          : `no node fits ${what}${req.antiAffinityGroup ? ` outside group '${req.antiAffinityGroup}'` : ''} (${refusals.join('; ')})`,
    };
  }
  const ranked = rank(fits, req, strategy, after);
  const [first, ...rest] = ranked;
  if (!first) return { ok: false, reason: 'no candidate' };
  return { ok: true, node: first.id, reason: why(first, req, strategy), alternatives: rest.map((n) => n.id) };
}

/** Why `n` cannot take `req`, or undefined when it can. */
export function refusal(n: NodeRoom, req: PlacementRequest): string | undefined {
  if (!n.live) return 'not reachable';
  const freeCpu = n.capacity.vcpus - n.used.vcpus;
  const freeMem = n.capacity.memoryMb - n.used.memoryMb;
  if (req.antiAffinityGroup && n.groups.includes(req.antiAffinityGroup))
    return `holds a VM of group '${req.antiAffinityGroup}'`;
  if (freeCpu < req.vcpus) return `${freeCpu} vcpus free`;
  if (freeMem < req.memoryMb) return `${freeMem} MB free`;
  return undefined;
}

/** Free share of the node after placing `req`: the scarcer of CPU and memory. */
function freeShareAfter(n: NodeRoom, req: PlacementRequest): number {
  const cpu = n.capacity.vcpus > 0 ? (n.capacity.vcpus - n.used.vcpus - req.vcpus) / n.capacity.vcpus : 0;
  const mem =
    n.capacity.memoryMb > 0
      ? (n.capacity.memoryMb - n.used.memoryMb - req.memoryMb) / n.capacity.memoryMb
      : 0;
  return Math.min(cpu, mem);
}

function rank(fits: NodeRoom[], req: PlacementRequest, strategy: Strategy, after: string): NodeRoom[] {
  switch (strategy) {
    case 'most-available':
    case 'anti-affinity':
      // Stable sort: ties keep id order, so equal nodes are chosen deterministically.
      return [...fits].sort((a, b) => freeShareAfter(b, req) - freeShareAfter(a, req));
    case 'bin-pack':
      return [...fits].sort((a, b) => freeShareAfter(a, req) - freeShareAfter(b, req));
    case 'round-robin': {
      const start = fits.findIndex((n) => n.id > after);
      const from = Math.max(start, 0);
      return [...fits.slice(from), ...fits.slice(0, from)];
    }
  }
}

function why(n: NodeRoom, req: PlacementRequest, strategy: Strategy): string {
  const free = `${n.capacity.vcpus - n.used.vcpus} vcpus, ${n.capacity.memoryMb - n.used.memoryMb} MB free`;
  const group = req.antiAffinityGroup ? `, no VM of group '${req.antiAffinityGroup}'` : '';
  switch (strategy) {
    case 'most-available':
      return `most available: ${n.id} has the largest free share (${free})${group}`;
    case 'anti-affinity':
      return `anti-affinity: ${n.id} holds no VM of group '${req.antiAffinityGroup}' and has the largest free share (${free})`;
    case 'bin-pack':
      return `bin-pack: ${n.id} is the fullest node that fits (${free})${group}`;
    case 'round-robin':
      return `round-robin: ${n.id} is next in turn (${free})${group}`;
  }
}
