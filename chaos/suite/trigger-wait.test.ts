import { describe, expect, it } from 'vitest';
import { op, TriggerSchema, TriggerWatch } from '../nemesis/index.ts';
import { awaitTrigger } from './trigger-wait.ts';

const voteSample = (t: number, node: string, term: number, votedFor: string) => ({
  kind: 'raft',
  t,
  node,
  ok: true,
  raft: { term, votedFor, role: 'follower' },
});

describe('awaitTrigger', () => {
  it('counts a vote cast after the step was due, before the wait began, and names the voter', async () => {
    const watch = new TriggerWatch();
    watch.observeSample(voteSample(100, 'n3', 2, 'n1'));
    // The op before took long: the vote came at 1200, the step was due at 1000, the wait starts at 3000.
    watch.observeSample(voteSample(1200, 'n3', 3, 'n2'));
    const step = {
      at: 1000,
      op: op({ do: 'restart', node: 'follower' }),
      when: TriggerSchema.parse({ on: 'vote' }),
    };
    const r = await awaitTrigger(watch, step, () => 3000, 1000);
    expect(r.op).toEqual({ do: 'restart', node: 'n3' });
    expect(r.when).toMatchObject({ on: 'vote', met: true, seen: 'n3 voted for n2 in term 3', waitedMs: 0 });
  });

  it('gives up after its bound, says what it saw last, and leaves the op as planned', async () => {
    const watch = new TriggerWatch();
    watch.observeOp({ id: 1, type: 'invoke', f: 'write' });
    let t = 0;
    const now = () => (t += 10);
    const step = {
      at: 0,
      op: op({ do: 'kill', node: 'leader' }),
      when: TriggerSchema.parse({ on: 'writes-open', min: 3, within: 100 }),
    };
    const r = await awaitTrigger(watch, step, now, 0);
    expect(r.op).toEqual({ do: 'kill', node: 'leader' });
    expect(r.when).toMatchObject({ met: false, seen: '1 write(s) open' });
    expect(r.when?.waitedMs).toBeGreaterThanOrEqual(100);
  });
});
