import { describe, expect, it } from 'vitest';
import { LockstepCluster, text } from '../sim/lockstep-cluster.ts';
import { drainReady } from './drain-ready.ts';
import type { RaftMessage } from './types.ts';

describe('drainReady', () => {
  it('persists a granted vote in the same Ready that carries the grant, before sending it', () => {
    const c = new LockstepCluster(['a', 'b', 'c']);
    const b = c.core('b');
    const voteRequest: RaftMessage = {
      type: 'vote',
      from: 'a',
      to: 'b',
      term: 5,
      logTerm: 1,
      index: 1,
      commit: 0,
      entries: [],
      reject: false,
      rejectHint: 0,
      context: '',
    };
    b.step(voteRequest);
    const calls: string[] = [];
    drainReady(b, {
      persist: (rd) => calls.push(`persist vote=${rd.hardState?.vote} term=${rd.hardState?.term}`),
      send: (ms) => calls.push(...ms.map((m) => `send ${m.type}${m.reject ? ' reject' : ''}`)),
      restore: () => calls.push('restore'),
      apply: (e) => calls.push(`apply ${e.index}`),
      readStates: () => calls.push('read'),
    });
    expect(calls).toEqual(['persist vote=a term=5', 'send vote-response']);
  });

  it('persists, then sends, then applies, then reports reads', () => {
    const c = LockstepCluster.withLeader('a', ['a']);
    const a = c.core('a');
    a.propose(text('x'));
    a.readIndex('r');
    const calls: string[] = [];
    drainReady(a, {
      persist: (rd) => calls.push(`persist ${rd.entries.map((e) => e.index)}`),
      send: () => calls.push('send'),
      restore: () => calls.push('restore'),
      apply: (e) => calls.push(`apply ${e.index}`),
      readStates: (rs) => calls.push(`read ${rs.map((r) => r.context)}`),
    });
    expect(calls).toEqual(['persist 3', 'apply 3', 'read r']);
    expect(a.hasReady()).toBe(false);
  });
});
