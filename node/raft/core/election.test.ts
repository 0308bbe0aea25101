import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/index.ts';
import { LockstepCluster } from '../sim/lockstep-cluster.ts';
import { bootstrapState, RaftCore } from './raft-core.ts';

describe('elections', () => {
  it('a single voter elects itself and commits its first entry', () => {
    const c = LockstepCluster.withLeader('a', ['a']);
    expect(c.core('a').currentTerm()).toBe(2);
    expect(c.core('a').log.committed).toBe(2);
  });

  it('election timeouts are randomized from the injected seed, within [election, 2*election)', () => {
    const timeoutOf = (seed: number) => {
      const core = new RaftCore(
        { id: 'a', random: seededRandom(seed), electionTicks: 10 },
        bootstrapState(['a']),
      );
      let ticks = 0;
      while (core.currentRole() !== 'leader') {
        core.tick();
        ticks++;
      }
      return ticks;
    };
    const timeouts = [1, 2, 3, 4, 5, 6, 7, 8].map(timeoutOf);
    for (const t of timeouts) expect(t >= 10 && t < 20).toBe(true);
    expect(new Set(timeouts).size).toBeGreaterThan(1);
    expect(timeoutOf(3)).toBe(timeoutOf(3));
  });

  it('a candidate wins with a majority and others follow it', () => {
    const c = LockstepCluster.withLeader('b');
    expect(c.leaders()).toEqual(['b']);
    for (const id of ['a', 'c']) expect(c.core(id).currentLeader()).toBe('b');
  });

  it('a node refuses its vote to a candidate whose log is behind', () => {
    const c = LockstepCluster.withLeader('a');
    c.isolate('c');
    c.core('a').propose(new Uint8Array([1]));
    c.settle();
    c.heal();
    c.isolate('a');
    // c lacks the entry: b must refuse it, so c cannot reach a majority.
    for (let i = 0; i < 60; i++) c.tick('c');
    c.settle();
    expect(c.core('c').currentRole()).not.toBe('leader');
    c.elect('b');
    expect(c.leaders()).toContain('b');
  });
});

describe('pre-vote', () => {
  /** Cuts c off for 100 ticks of its clock, then lets it back for 20; returns c's term while cut off. */
  const cutOffAndBack = (c: LockstepCluster): number => {
    c.isolate('c');
    c.tick('c', 100);
    c.settle();
    const cutOffTerm = c.core('c').currentTerm();
    c.heal();
    c.advance('c', 20);
    return cutOffTerm;
  };

  it('a partitioned node does not raise its term, so it does not disrupt the leader when it returns', () => {
    const c = LockstepCluster.withLeader('a');
    const term = c.core('a').currentTerm();
    expect(cutOffAndBack(c)).toBe(term);
    expect(c.leaders()).toEqual(['a']);
    expect(c.core('a').currentTerm()).toBe(term);
  });

  it('without pre-vote the same node returns with a higher term and deposes the leader', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    const term = c.core('a').currentTerm();
    expect(cutOffAndBack(c)).toBeGreaterThan(term);
    expect(c.core('a').currentTerm()).toBeGreaterThan(term);
  });

  it('a node that hears from its leader ignores pre-votes (leader lease with check-quorum)', () => {
    const c = LockstepCluster.withLeader('a');
    const b = c.core('b');
    const term = b.currentTerm();
    b.step({
      type: 'pre-vote',
      from: 'c',
      to: 'b',
      term: term + 1,
      logTerm: 99,
      index: 99,
      commit: 0,
      entries: [],
      reject: false,
      rejectHint: 0,
      context: '',
    });
    expect(b.ready().messages).toEqual([]);
    expect(b.currentTerm()).toBe(term);
  });
});

describe('check-quorum', () => {
  it('a leader that cannot reach a majority steps down within an election timeout', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b', 'c'], { electionTicks: 10 });
    c.isolate('a');
    let ticks = 0;
    while (c.core('a').currentRole() === 'leader' && ticks < 20) {
      c.tick('a');
      c.settle();
      ticks++;
    }
    expect(c.core('a').currentRole()).toBe('follower');
    expect(ticks).toBeLessThanOrEqual(10);
  });

  it('a leader that still reaches a majority stays', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b', 'c'], { electionTicks: 10 });
    c.isolate('c');
    c.advance('a', 40);
    expect(c.core('a').currentRole()).toBe('leader');
  });

  it('without check-quorum the isolated leader would stay leader', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b', 'c'], { electionTicks: 10, checkQuorum: false });
    c.isolate('a');
    c.advance('a', 20);
    expect(c.core('a').currentRole()).toBe('leader');
  });
});

describe('restart', () => {
  it('keeps term, vote and log from storage', () => {
    const c = LockstepCluster.withLeader('a');
    c.core('a').propose(new Uint8Array([7]));
    c.settle();
    const before = c.core('b').status();
    const restarted = c.start('b');
    expect(restarted.currentTerm()).toBe(before.term);
    expect(restarted.status().vote).toBe(before.vote);
    expect(restarted.log.lastIndex()).toBe(before.lastIndex);
    expect(restarted.log.committed).toBe(before.commit);
    // Committed entries are handed to the state machine again (it is rebuilt from the snapshot).
    expect(restarted.ready().committedEntries.map((e) => e.index)).toEqual([2, 3]);
  });
});
