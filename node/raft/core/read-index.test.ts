import { describe, expect, it } from 'vitest';
import { LockstepCluster, text } from '../sim/lockstep-cluster.ts';

describe('ReadIndex', () => {
  /** a leads, with an entry of its term committed. */
  const leaderWithAnEntry = () => {
    const c = LockstepCluster.withLeader('a');
    c.core('a').propose(text('x'));
    c.settle();
    return c;
  };

  it('confirms leadership with a heartbeat round, then returns the commit index', () => {
    const c = leaderWithAnEntry();
    expect(c.core('a').readIndex('r1').ok).toBe(true);
    c.flush();
    expect(c.readStates.get('a') ?? []).toEqual([]);
    c.settle();
    expect(c.readStates.get('a')).toEqual([{ index: c.core('a').log.committed, context: 'r1' }]);
  });

  it('a leader cut off from the majority never confirms a read (no lease)', () => {
    const c = LockstepCluster.withLeader('a');
    c.isolate('a');
    c.core('a').readIndex('stale');
    c.advance('a', 5);
    expect(c.readStates.get('a') ?? []).toEqual([]);
  });

  it('one acknowledging follower plus the leader is a majority of three', () => {
    const c = LockstepCluster.withLeader('a');
    c.isolate('c');
    c.core('a').readIndex('r');
    c.settle();
    expect(c.readStates.get('a')?.map((r) => r.context)).toEqual(['r']);
  });

  it('a new leader waits until it has committed an entry of its term', () => {
    const c = LockstepCluster.withLeader('a');
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

  it('a follower forwards its read to the leader and gets the read index back', () => {
    const c = leaderWithAnEntry();
    expect(c.core('b').readIndex('from-b').ok).toBe(true);
    c.settle();
    expect(c.sent.some((m) => m.type === 'read-index' && m.from === 'b' && m.to === 'a')).toBe(true);
    expect(c.readStates.get('b')).toEqual([{ index: c.core('a').log.committed, context: 'from-b' }]);
    expect(c.readStates.get('a') ?? []).toEqual([]);
  });

  it('a forwarded read is not answered until the leader confirms it still leads', () => {
    const c = LockstepCluster.withLeader('a');
    // No heartbeat acks reach the leader: it cannot confirm its leadership.
    c.filter = (m) => m.type !== 'heartbeat-response';
    c.core('b').readIndex('r');
    c.settle();
    expect(c.sent.some((m) => m.type === 'read-index' && m.to === 'a')).toBe(true);
    expect(c.readStates.get('b') ?? []).toEqual([]);
    c.heal();
    c.tick('a', 1);
    c.settle();
    expect(c.readStates.get('b')?.map((r) => r.context)).toEqual(['r']);
  });

  it('a node that knows no leader refuses', () => {
    const c = new LockstepCluster(['a', 'b', 'c']);
    expect(c.core('b').readIndex('r')).toEqual({ ok: false, reason: 'no known leader', leader: '' });
  });
});
