/** The quiet tail over a sample stream fed as the samplers would: it waits for agreement, within its bound. */
import { describe, expect, it } from 'vitest';
import type { RaftSampleLike } from '../../scenarios/checkers/index.ts';
import { quietTail } from './quiet-tail.ts';

const s = (t: number, node: string, applied: number): RaftSampleLike => ({
  kind: 'raft',
  t,
  node,
  ok: true,
  raft: {
    role: node === 'n1' ? 'leader' : 'follower',
    term: 2,
    commit: applied,
    applied,
    digest: `d${applied}`,
  },
});

/** Samples arrive in real time: each round 20 ms apart; n3 catches up at round `catchUp`. */
function feed(catchUp: number) {
  const samples: RaftSampleLike[] = [];
  const started = Date.now();
  const now = () => Date.now() - started;
  let round = 0;
  const timer = setInterval(() => {
    const t = now();
    samples.push(s(t, 'n1', 10), s(t + 1, 'n2', 10), s(t + 2, 'n3', round >= catchUp ? 10 : 7));
    round++;
  }, 20);
  return { samples, now, stop: () => clearInterval(timer) };
}

describe('quiet tail', () => {
  it('waits until every node agrees, then says so', async () => {
    const f = feed(5);
    try {
      const r = await quietTail({ samples: () => f.samples, from: 0, now: f.now, boundMs: 5000 });
      expect(r.converged).toBe(true);
      expect(r.seen).toBe('n1@10:d10 n2@10:d10 n3@10:d10');
      // Not before n3 caught up (round 5 of 20 ms each).
      expect(f.samples.filter((x) => x.node === 'n3').length).toBeGreaterThan(5);
    } finally {
      f.stop();
    }
  });

  it('waits for every node that answered lately, not only the first sampled since the tail began', async () => {
    const early = [s(-500, 'n1', 10), s(-499, 'n2', 10), s(-498, 'n3', 7)];
    const f = feed(3);
    try {
      const r = await quietTail({
        samples: () => [...early, ...f.samples],
        from: 0,
        now: f.now,
        boundMs: 5000,
      });
      expect(r.converged).toBe(true);
      expect(r.seen).toBe('n1@10:d10 n2@10:d10 n3@10:d10');
      // One node alone, before the others' first samples since the tail began, is no agreement.
      const lone = await quietTail({
        samples: () => [...early, s(1, 'n1', 10)],
        from: 0,
        now: () => 0,
        boundMs: 300,
      });
      expect(lone.converged).toBe(false);
    } finally {
      f.stop();
    }
  });

  it('gives up at its bound with what it last saw', async () => {
    const f = feed(Number.POSITIVE_INFINITY);
    try {
      const r = await quietTail({ samples: () => f.samples, from: 0, now: f.now, boundMs: 300 });
      expect(r.converged).toBe(false);
      expect(r.seen).toMatch(/n3@7:d7/);
    } finally {
      f.stop();
    }
  });
});
