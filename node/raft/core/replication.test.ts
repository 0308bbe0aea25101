import { describe, expect, it } from 'vitest';
import { LockstepCluster, text } from '../sim/lockstep-cluster.ts';

describe('log replication', () => {
  it('commits a proposal on a majority and every node applies it', () => {
    const c = LockstepCluster.withLeader('a');
    const result = c.core('a').propose(text('x'));
    expect(result.ok).toBe(true);
    c.settle();
    c.tick('a', 2); // heartbeats carry the new commit index to the followers
    c.settle();
    for (const id of ['a', 'b', 'c']) expect(c.appliedData(id)).toEqual(['x']);
  });

  it('refuses proposals on a follower and names the leader', () => {
    const c = LockstepCluster.withLeader('a');
    expect(c.core('b').propose(text('x'))).toEqual({ ok: false, reason: 'not the leader', leader: 'a' });
  });

  it('does not commit without a majority', () => {
    const c = LockstepCluster.withLeader('a');
    const commit = c.core('a').log.committed;
    c.isolate('b', 'c');
    c.core('a').propose(text('x'));
    c.settle();
    expect(c.core('a').log.committed).toBe(commit);
  });

  it('batches at most maxEntriesPerAppend entries per append', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b'], { maxEntriesPerAppend: 2 });
    c.isolate('b');
    for (let i = 0; i < 7; i++) c.core('a').propose(text(`e${i}`));
    c.settle();
    c.heal();
    c.sent.length = 0;
    c.tick('a', 1);
    c.settle();
    const appends = c.sent.filter((m) => m.type === 'append' && m.entries.length > 0);
    expect(Math.max(...appends.map((m) => m.entries.length))).toBe(2);
    expect(c.core('b').log.lastIndex()).toBe(c.core('a').log.lastIndex());
  });

  it('batches by bytes too (but always sends at least one entry)', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b'], { maxBytesPerAppend: 100 });
    c.sent.length = 0;
    c.core('a').propose(new Uint8Array(500));
    c.core('a').propose(new Uint8Array(10));
    c.settle();
    const appends = c.sent.filter((m) => m.type === 'append' && m.entries.length > 0);
    expect(appends.every((m) => m.entries.length === 1)).toBe(true);
    expect(c.core('b').log.lastIndex()).toBe(c.core('a').log.lastIndex());
  });

  it('pipelines up to maxInflightAppends appends to an in-sync follower before any ack', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b'], { maxEntriesPerAppend: 1, maxInflightAppends: 3 });
    c.sent.length = 0;
    for (let i = 0; i < 6; i++) c.core('a').propose(text(`e${i}`));
    c.flush();
    // Nothing delivered yet: the leader streamed three appends optimistically, then paused.
    expect(c.sent.filter((m) => m.type === 'append' && m.entries.length > 0)).toHaveLength(3);
    c.settle();
    expect(c.core('b').log.lastIndex()).toBe(c.core('a').log.lastIndex());
  });

  it('backtracks a divergent follower by term, not entry by entry', () => {
    const c = LockstepCluster.withLeader('a');
    // a piles up 30 entries of its term that no one else gets, then loses leadership.
    c.isolate('a');
    for (let i = 0; i < 30; i++) c.core('a').propose(text(`lost${i}`));
    c.settle();
    c.elect('b');
    for (let i = 0; i < 40; i++) c.core('b').propose(text(`kept${i}`));
    c.settle();
    // c leads with the long log: its first probe of a lands past a's divergent suffix.
    c.core('b').transferLeader('c');
    c.settle();
    expect(c.leaders()).toContain('c');
    c.heal();
    c.sent.length = 0;
    for (let i = 0; i < 3; i++) {
      c.tick('c', 1);
      c.settle();
    }
    const rejects = c.sent.filter((m) => m.type === 'append-response' && m.reject && m.from === 'a');
    expect(rejects.length).toBeGreaterThan(0);
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(c.core('a').log.lastIndex()).toBe(c.core('c').log.lastIndex());
    expect(c.appliedData('a')).toEqual(Array.from({ length: 40 }, (_, i) => `kept${i}`));
  });

  it('a new leader does not commit an older-term entry by counting replicas (only under its own)', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b', 'c'], { maxEntriesPerAppend: 1 });
    c.isolate('a');
    c.core('a').propose(text('x'));
    c.settle();
    const x = c.core('a').log.lastIndex();
    c.tick('a', 10); // check-quorum: a steps down after one election timeout
    expect(c.core('a').currentRole()).toBe('follower');
    c.heal();
    // a leads again in a newer term; x reaches the others but its own entry (x + 1) is held back.
    const hasX = (id: string) => c.core(id).log.term(x) === c.core('a').log.term(x);
    c.filter = (m) => !(m.type === 'append' && m.entries.some((e) => e.index === x + 1) && hasX(m.to));
    c.elect('a');
    c.settle();
    expect(c.core('b').log.term(x)).toBe(c.core('a').log.term(x));
    expect(c.core('a').log.committed).toBeLessThan(x);
    c.heal();
    c.tick('a', 1);
    c.settle();
    expect(c.core('a').log.committed).toBe(x + 1);
  });
});
