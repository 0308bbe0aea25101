import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../node/lib/index.ts';
import { linkNameOf, planPartition, reachability } from './partition.ts';

const N3 = ['n1', 'n2', 'n3'];
const N5 = ['n1', 'n2', 'n3', 'n4', 'n5'];
const names = (p: { cut: { from: string; to: string }[] }) => p.cut.map(linkNameOf);
/** The links a partition of kind `kind` around `target` cuts among three nodes. */
const cutAround = (kind: 'isolate' | 'leader' | 'client', target: string) =>
  names(planPartition({ kind, nodes: N3, target }));

describe('planPartition', () => {
  it('isolate cuts every link to and from the node, both directions', () => {
    expect(cutAround('isolate', 'n2')).toEqual(['n1-n2', 'n2-n1', 'n2-n3', 'n3-n2']);
  });

  it('halves splits into a minority and a majority that never hear each other', () => {
    const plan = planPartition({ kind: 'halves', nodes: N5 });
    expect(plan.components).toEqual([
      ['n1', 'n2'],
      ['n3', 'n4', 'n5'],
    ]);
    expect(plan.cut).toHaveLength(2 * 2 * 3);
    const reach = reachability(N5, plan.cut);
    expect(reach.get('n1')).toEqual(['n1', 'n2']);
    expect(reach.get('n4')).toEqual(['n3', 'n4', 'n5']);
  });

  it('halves with a seed shuffles, and the same seed gives the same split', () => {
    const a = planPartition({ kind: 'halves', nodes: N5, random: seededRandom(9, 'p') });
    const b = planPartition({ kind: 'halves', nodes: N5, random: seededRandom(9, 'p') });
    expect(a.components).toEqual(b.components);
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8].map(
      (s) => planPartition({ kind: 'halves', nodes: N5, random: seededRandom(s, 'p') }).components[0],
    );
    expect(new Set(seeds.map((c) => c?.join())).size).toBeGreaterThan(1);
  });

  it('majority-ring: every node hears a majority, and no two hear the same one', () => {
    for (const nodes of [N3, N5, ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']]) {
      const plan = planPartition({ kind: 'majority-ring', nodes });
      const reach = reachability(nodes, plan.cut);
      const majority = Math.floor(nodes.length / 2) + 1;
      const views = new Set<string>();
      for (const n of nodes) {
        expect(reach.get(n)).toHaveLength(majority);
        expect(reach.get(n)).toContain(n);
        views.add([...(reach.get(n) ?? [])].sort().join());
      }
      expect(views.size).toBe(nodes.length);
    }
  });

  it('bridge: two sides that hear only the bridge node, which hears all', () => {
    const plan = planPartition({ kind: 'bridge', nodes: N5 });
    const reach = reachability(N5, plan.cut);
    expect(reach.get('n3')).toEqual(N5);
    expect(reach.get('n1')).toEqual(['n1', 'n2', 'n3']);
    expect(reach.get('n5')).toEqual(['n3', 'n4', 'n5']);
    expect(() => planPartition({ kind: 'bridge', nodes: ['n1', 'n2'] })).toThrow(/at least 3/);
  });

  it('leader isolates the given leader; client cuts only the client link', () => {
    expect(cutAround('leader', 'n3')).toEqual(['n1-n3', 'n2-n3', 'n3-n1', 'n3-n2']);
    expect(cutAround('client', 'n1')).toEqual(['client-n1']);
  });

  it('leader-clients isolates the leader from its peers and the client from every other node', () => {
    const plan = planPartition({ kind: 'leader-clients', nodes: N3, target: 'n2' });
    // The client keeps its link to the old leader, and only that one.
    expect(names(plan)).toEqual(['client-n1', 'client-n3', 'n1-n2', 'n2-n1', 'n2-n3', 'n3-n2']);
    expect(plan.components).toEqual([['n2'], ['n1', 'n3']]);
    expect(reachability(N3, plan.cut).get('n2')).toEqual(['n2']);
  });

  it('refuses an unknown target', () => {
    expect(() => planPartition({ kind: 'isolate', nodes: N3, target: 'n9' })).toThrow(/no node 'n9'/);
  });
});
