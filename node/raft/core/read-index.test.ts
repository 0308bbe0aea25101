import { describe, expect, it } from 'vitest';
import { LockstepCluster, text } from '../sim/lockstep-cluster.ts';

describe('ReadIndex', () => {
  it('confirms leadership with a heartbeat round, then returns the commit index', () => {
    const c = new LockstepCluster(['a', 'b', 'c']);
    c.elect('a');
    c.core('a').propose(text('x'));
    c.settle();
    expect(c.core('a').readIndex('r1').ok).toBe(true);
    c.flush();
    expect(c.readStates.get('a') ?? []).toEqual([]);
    c.settle();
    expect(c.readStates.get('a')).toEqual([{ index: c.core('a').log.committed, context: 'r1' }]);
  });

  it('a leader cut off from the majority never confirms a read (no lease)', () => {
    const c = new LockstepCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('a');
    c.core('a').readIndex('stale');
    for (let i = 0; i < 5; i++) {
      c.tick('a');
      c.settle();
    }
    expect(c.readStates.get('a') ?? []).toEqual([]);
  });

  it('one acknowledging follower plus the leader is a majority of three', () => {
    const c = new LockstepCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    c.core('a').readIndex('r');
    c.settle();
    expect(c.readStates.get('a')?.map((r) => r.context)).toEqual(['r']);
  });

  it('a new leader waits until it has committed an entry of its term', () => {
    const c = new LockstepCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('b', 'c');
    c.tick('a', 30); // steps down (check-quorum); then b wins without hearing from a
    c.heal();
    c.isolate('a');
    c.elect('b');
    const b = c.core('b');
    expect(b.log.term(b.log.committed)).toBe(b.currentTerm());
    b.readIndex('r');
    c.settle();
    expect(c.readStates.get('b')).toEqual([{ index: b.log.committed, context: 'r' }]);
  });

  it('followers refuse and name the leader', () => {
    const c = new LockstepCluster(['a', 'b', 'c']);
    c.elect('a');
    expect(c.core('b').readIndex('r')).toEqual({ ok: false, reason: 'not the leader', leader: 'a' });
  });
});
