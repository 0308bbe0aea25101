import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type NodeRoom,
  type PlacementRequest,
  placeVm,
  refusal,
  STRATEGIES,
  type Strategy,
} from './scheduler.ts';

const node = (id: string, vcpus: number, memoryMb: number, usedCpu = 0, usedMem = 0, groups: string[] = []) =>
  ({
    id,
    capacity: { vcpus, memoryMb },
    used: { vcpus: usedCpu, memoryMb: usedMem },
    groups,
    live: true,
  }) satisfies NodeRoom;

const req = (vcpus: number, memoryMb: number, antiAffinityGroup = ''): PlacementRequest => ({
  vcpus,
  memoryMb,
  antiAffinityGroup,
});

const arbNodes = fc
  .uniqueArray(
    fc.record({
      id: fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5'),
      cap: fc.record({ vcpus: fc.integer({ min: 0, max: 16 }), memoryMb: fc.integer({ min: 0, max: 8192 }) }),
      useCpu: fc.integer({ min: 0, max: 16 }),
      useMem: fc.integer({ min: 0, max: 8192 }),
      groups: fc.subarray(['web', 'db']),
      live: fc.boolean(),
    }),
    { selector: (n) => n.id, maxLength: 5 },
  )
  .map((ns) =>
    ns.map((n) => ({
      id: n.id,
      capacity: n.cap,
      used: { vcpus: Math.min(n.useCpu, n.cap.vcpus), memoryMb: Math.min(n.useMem, n.cap.memoryMb) },
      groups: n.groups,
      live: n.live,
    })),
  );
const arbReq = fc.record({
  vcpus: fc.integer({ min: 1, max: 8 }),
  memoryMb: fc.integer({ min: 1, max: 4096 }),
  antiAffinityGroup: fc.constantFrom('', 'web', 'db'),
});
const arbStrategy = fc.constantFrom(...STRATEGIES);

/** Places `count` equal VMs one after another, as the leader would, and returns the per-node counts. */
function fill(
  nodes: NodeRoom[],
  r: PlacementRequest,
  strategy: Strategy,
  count: number,
): Map<string, number> {
  const counts = new Map(nodes.map((n) => [n.id, 0]));
  let last = '';
  for (let i = 0; i < count; i++) {
    const p = placeVm(nodes, r, strategy, last);
    if (!p.ok) break;
    last = p.node;
    counts.set(p.node, (counts.get(p.node) ?? 0) + 1);
    nodes = nodes.map((n) =>
      n.id === p.node
        ? {
            ...n,
            used: { vcpus: n.used.vcpus + r.vcpus, memoryMb: n.used.memoryMb + r.memoryMb },
            groups: r.antiAffinityGroup ? [...n.groups, r.antiAffinityGroup] : n.groups,
          }
        : n,
    );
  }
  return counts;
}

describe('placeVm', () => {
  it('places only where the VM fits, and refuses only when nothing fits (any strategy)', () => {
    fc.assert(
      fc.property(arbNodes, arbReq, arbStrategy, fc.constantFrom('', 'n2', 'n9'), (nodes, r, s, after) => {
        const p = placeVm(nodes, r, s, after);
        const fitting = nodes.filter((n) => refusal(n, r) === undefined).map((n) => n.id);
        if (p.ok) {
          expect(fitting).toContain(p.node);
          expect(new Set([p.node, ...p.alternatives])).toEqual(new Set(fitting));
        } else {
          expect(fitting).toEqual([]);
          expect(p.reason).toMatch(/no node/);
        }
      }),
      { seed: 4242, numRuns: 500 },
    );
  });

  it('is deterministic: the same inputs give the same node', () => {
    fc.assert(
      fc.property(arbNodes, arbReq, arbStrategy, (nodes, r, s) => {
        expect(placeVm(nodes, r, s)).toEqual(placeVm([...nodes].reverse(), r, s));
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('never puts two VMs of one anti-affinity group on a node', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        arbStrategy,
        fc.integer({ min: 1, max: 8 }),
        (n, s, count) => {
          const nodes = Array.from({ length: n }, (_, i) => node(`n${i + 1}`, 64, 65536));
          const counts = fill(nodes, req(1, 128, 'web'), s, count);
          for (const c of counts.values()) expect(c).toBeLessThanOrEqual(1);
          expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(Math.min(n, count));
        },
      ),
      { seed: 11, numRuns: 100 },
    );
  });

  it('most-available spreads equal VMs over equal nodes evenly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 30 }), (n, count) => {
        const nodes = Array.from({ length: n }, (_, i) => node(`n${i + 1}`, 32, 32768));
        const counts = [...fill(nodes, req(1, 512), 'most-available', count).values()];
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it('bin-pack fills one node before starting the next', () => {
    const nodes = [node('n1', 4, 4096), node('n2', 4, 4096), node('n3', 4, 4096)];
    const counts = fill(nodes, req(1, 1024), 'bin-pack', 6);
    expect([...counts.values()].sort()).toEqual([0, 2, 4]);
    // A partly used node is preferred over an empty one.
    const p = placeVm([node('n1', 8, 8192), node('n2', 8, 8192, 6, 6144)], req(1, 1024), 'bin-pack');
    expect(p).toMatchObject({ ok: true, node: 'n2' });
  });

  it('round-robin takes the nodes in turn, skipping those without room', () => {
    const nodes = [node('n1', 8, 8192), node('n2', 8, 8192, 8, 0), node('n3', 8, 8192)];
    const order: string[] = [];
    let last = '';
    for (let i = 0; i < 4; i++) {
      const p = placeVm(nodes, req(1, 64), 'round-robin', last);
      if (!p.ok) throw new Error(p.reason);
      order.push(p.node);
      last = p.node;
    }
    expect(order).toEqual(['n1', 'n3', 'n1', 'n3']);
  });

  it('most-available prefers the emptiest node', () => {
    const nodes = [node('n1', 8, 8192, 4, 1024), node('n2', 8, 8192, 1, 1024), node('n3', 8, 8192, 2, 512)];
    expect(placeVm(nodes, req(1, 256), 'most-available')).toMatchObject({ ok: true, node: 'n2' });
  });

  it('says why nothing fits', () => {
    const p = placeVm([node('n1', 2, 1024), node('n2', 4, 512)], req(4, 2048), 'most-available');
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.reason).toBe('no node fits 4 vcpus, 2048 MB (n1: 2 vcpus free; n2: 512 MB free)');
    expect(placeVm([], req(1, 1), 'bin-pack')).toMatchObject({ ok: false });
    const down = { ...node('n1', 8, 8192), live: false };
    expect(placeVm([down], req(1, 1), 'round-robin')).toMatchObject({ ok: false, reason: /not reachable/ });
  });
});
