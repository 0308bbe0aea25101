import { describe, expect, it } from 'vitest';
import { LockstepCluster, text } from '../sim/lockstep-cluster.ts';

describe('snapshots', () => {
  it('compaction drops the log up to the applied index', () => {
    const c = LockstepCluster.withLeader('a');
    for (let i = 0; i < 5; i++) c.core('a').propose(text(`e${i}`));
    c.settle();
    const a = c.core('a');
    const snapshot = a.compact(text('state'));
    expect(snapshot.meta.index).toBe(a.log.applied);
    expect(snapshot.meta.confState.voters).toEqual(['a', 'b', 'c']);
    expect(a.log.firstIndex()).toBe(snapshot.meta.index + 1);
  });

  it('can snapshot at an older applied index, with the membership as of that index', () => {
    const c = LockstepCluster.withLeader('a');
    c.core('a').propose(text('before'));
    c.settle();
    const at = c.core('a').log.applied;
    c.addBlank('d');
    c.core('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' });
    c.settle();
    c.tick('a', 1);
    c.settle();
    const a = c.core('a');
    expect(a.log.applied).toBeGreaterThan(at);
    const old = a.compact(text('state-before'), at);
    expect(old.meta).toEqual({
      index: at,
      term: a.currentTerm(),
      confState: { voters: ['a', 'b', 'c'], learners: [] },
    });
    const latest = a.compact(text('state-now'));
    expect(latest.meta.confState).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(() => a.compact(text('x'), a.log.applied + 1)).toThrow(/only \d+ applied/);
    expect(() => a.compact(text('x'), at)).toThrow(/the log starts after/);
  });

  it('a follower behind the compacted log gets the snapshot (InstallSnapshot) and then the rest', () => {
    const c = LockstepCluster.withLeader('a');
    c.isolate('c');
    for (let i = 0; i < 5; i++) c.core('a').propose(text(`e${i}`));
    c.settle();
    const snapshot = c.core('a').compact(text('state-at-7'));
    c.storages.get('a')?.saveSnapshot(snapshot);
    c.core('a').propose(text('after'));
    c.settle();
    c.heal();
    c.tick('a', 2);
    c.settle();
    c.tick('a', 2);
    c.settle();
    expect(c.sent.some((m) => m.type === 'snapshot' && m.to === 'c')).toBe(true);
    expect(c.restoredSnapshots.get('c')?.map((s) => s.meta.index)).toEqual([snapshot.meta.index]);
    expect(c.core('c').log.lastIndex()).toBe(c.core('a').log.lastIndex());
    expect(c.appliedData('c')).toEqual(['after']);
    // The follower's storage now starts at the snapshot.
    expect(c.storages.get('c')?.snapshotIndex()).toBe(snapshot.meta.index);
  });

  it('a lost snapshot is sent again after an election timeout', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b', 'c'], { electionTicks: 10 });
    c.isolate('c');
    for (let i = 0; i < 3; i++) c.core('a').propose(text(`e${i}`));
    c.settle();
    c.storages.get('a')?.saveSnapshot(c.core('a').compact(text('s')));
    c.filter = (m) => m.type !== 'snapshot';
    c.tick('a', 2);
    c.settle();
    c.heal();
    c.advance('a', 12);
    expect(c.sent.filter((m) => m.type === 'snapshot' && m.to === 'c').length).toBeGreaterThanOrEqual(2);
    expect(c.restoredSnapshots.get('c')).toHaveLength(1);
  });

  it('a joining node with an empty log learns the membership from the bootstrap snapshot', () => {
    const c = LockstepCluster.withLeader('a');
    c.addBlank('d');
    c.core('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' });
    c.settle();
    c.tick('a', 2);
    c.settle();
    expect(c.restoredSnapshots.get('d')?.[0]?.meta.confState.voters).toEqual(['a', 'b', 'c']);
    expect(c.core('d').confState()).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
  });
});
