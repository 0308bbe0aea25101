import { describe, expect, it } from 'vitest';
import { RaftCore } from '../core/raft-core.ts';
import type { Entry, NodeId } from '../core/types.ts';
import { MemoryStorage } from '../storage/memory-storage.ts';
import { LockstepCluster, text } from './lockstep-cluster.ts';
import { SafetyChecker, SafetyViolation } from './safety-checker.ts';
import { SimCluster } from './sim-cluster.ts';

/** Two clusters that never talk: whatever each does is legal alone, but not as one cluster. */
function splitBrain(leader1: NodeId, leader2: NodeId): [LockstepCluster, LockstepCluster] {
  const one = new LockstepCluster(['a', 'b', 'c']);
  const two = new LockstepCluster(['a', 'b', 'c']);
  one.elect(leader1);
  two.elect(leader2);
  expect(one.core(leader1).currentTerm()).toBe(two.core(leader2).currentTerm());
  return [one, two];
}

const entry = (index: number, term: number, data: string): Entry => ({
  index,
  term,
  type: 'normal',
  data: text(data),
});

describe('the safety checker flags each broken guarantee', () => {
  it('two leaders in one term', () => {
    const [one, two] = splitBrain('a', 'b');
    const checker = new SafetyChecker();
    checker.afterEvent(one.core('a'));
    expect(() => checker.afterEvent(two.core('b'))).toThrow(
      /election safety: a and b are both leaders of term 2/,
    );
  });

  it('two different entries with the same index and term', () => {
    const [one, two] = splitBrain('a', 'a');
    one.core('a').propose(text('x'));
    two.core('a').propose(text('y'));
    const checker = new SafetyChecker();
    checker.afterEvent(one.core('a'));
    expect(() => checker.afterEvent(two.core('a'))).toThrow(
      /log matching: a has a different entry at index 3 term 2/,
    );
  });

  it('two nodes applying different entries at one index', () => {
    const checker = new SafetyChecker();
    checker.onApply('a', entry(5, 2, 'x'));
    checker.onApply('b', entry(5, 2, 'x'));
    expect(() => checker.onApply('c', entry(5, 3, 'y'))).toThrow(/state machine safety: c applied/);
  });

  it('a leader counting a commit that is not durable on a majority', () => {
    const c = LockstepCluster.withLeader('a');
    c.core('a').propose(text('x'));
    c.settle();
    const blank = () => new MemoryStorage({ hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
    const a = c.storages.get('a') as MemoryStorage;
    const checker = new SafetyChecker();
    expect(() =>
      checker.afterSave(
        c.core('a'),
        a,
        new Map([
          ['a', a],
          ['b', blank()],
          ['c', blank()],
        ]),
      ),
    ).toThrow(/durability: leader a committed entry 2 held durably only by \[a\]/);
  });

  it('a node dropping a committed entry from its storage', () => {
    const c = LockstepCluster.withLeader('a');
    c.core('a').propose(text('x'));
    c.settle();
    const checker = new SafetyChecker();
    checker.afterSave(c.core('a'), c.storages.get('a') as MemoryStorage, c.storages);
    const b = c.storages.get('b') as MemoryStorage;
    expect(() => checker.beforeSave('b', b, { entries: [entry(3, 9, 'other')] })).toThrow(
      /durability: b appending at 3 drops committed entry 3 \(term 2\)/,
    );
  });
});

/** A core that answers ReadIndex at once, without confirming it still leads. */
class ReadsWithoutConfirmation extends RaftCore {
  protected override readsNeedQuorumConfirmation(): boolean {
    return false;
  }
}

function staleReadScenario(unsafe: boolean): void {
  const cluster = new SimCluster({
    seed: 11,
    voters: ['a', 'b', 'c'],
    // Without check-quorum the cut-off leader keeps believing it leads, as it may for a while anyway.
    raft: { checkQuorum: false },
    ...(unsafe ? { coreFactory: (o, p) => new ReadsWithoutConfirmation(o, p) } : {}),
  });
  expect(cluster.runUntil(() => cluster.leader() !== undefined, 3000)).toBe(true);
  const old = cluster.leader() as NodeId;
  expect(
    cluster.runUntil(() => cluster.core(old).log.committed === cluster.core(old).log.lastIndex(), 1000),
  ).toBe(true);
  const others = ['a', 'b', 'c'].filter((id) => id !== old);
  cluster.partition([[old], others]);
  expect(cluster.runUntil(() => others.some((id) => cluster.core(id).currentRole() === 'leader'), 5000)).toBe(
    true,
  );
  const fresh = others.find((id) => cluster.core(id).currentRole() === 'leader') as NodeId;
  const write = cluster.propose(fresh) as string;
  expect(cluster.runUntil(() => cluster.isAcked(write), 2000)).toBe(true);
  expect(cluster.core(old).currentRole()).toBe('leader');
  expect(cluster.read(old)).toBe(true);
  cluster.runFor(500);
}

describe('the linearizability checker', () => {
  it('catches a deposed leader serving a read without confirming its leadership', () => {
    expect(() => staleReadScenario(true)).toThrow(SafetyViolation);
    expect(() => staleReadScenario(true)).toThrow(/linearizability: read r0 at .* misses w0/);
  });

  it('passes the same scenario with ReadIndex confirmation (the read is never answered)', () => {
    expect(() => staleReadScenario(false)).not.toThrow();
  });
});
