import { describe, expect, it } from 'vitest';
import {
  checkLeaderFailover,
  checkRestartElectsNobody,
  checkRestartedFollowerRejoins,
  restartsToJudge,
} from './leadership.ts';
import type { RaftSampleLike, RunEventLike } from './raft-safety.ts';

const s = (t: number, node: string, role: string, term: number): RaftSampleLike => ({
  kind: 'raft',
  t,
  node,
  ok: true,
  raft: { role, term, commit: 0, applied: 0, digest: '' },
});

/** n1 leads in term 2 until t = 1000; every node sampled every second. */
const steady = (until: number, leader = 'n1', term = 2): RaftSampleLike[] =>
  Array.from({ length: until / 1000 }, (_, i) => i * 1000).flatMap((t) => [
    s(t, 'n1', leader === 'n1' ? 'leader' : 'follower', term),
    s(t, 'n2', leader === 'n2' ? 'leader' : 'follower', term),
    s(t, 'n3', leader === 'n3' ? 'leader' : 'follower', term),
  ]);

const partition: RunEventLike = {
  t: 3500,
  kind: 'fault',
  op: { do: 'partition', kind: 'leader' } as RunEventLike['op'],
  detail: { node: 'n1' },
};

describe('leader failover', () => {
  it('passes when another node leads in a higher term before the heal', () => {
    const samples = [...steady(4000), s(6000, 'n2', 'leader', 3), s(6000, 'n3', 'follower', 3)];
    const r = checkLeaderFailover(samples, [partition, { t: 20_000, kind: 'heal' }]);
    expect(r.valid).toBe(true);
    expect(r.explanation).toMatch(/n1 → n2 \(term 2 → 3\)/);
  });

  it('fails when the others stay leaderless for the whole bound', () => {
    const samples = [...steady(4000), s(10_000, 'n2', 'candidate', 5), s(18_000, 'n3', 'follower', 2)];
    const r = checkLeaderFailover(samples, [partition, { t: 30_000, kind: 'heal' }], { failoverMs: 15_000 });
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/no other node became leader in a term above 2 within 15000 ms/);
  });

  it('cannot tell when the heal came before the bound', () => {
    const r = checkLeaderFailover(steady(4000), [partition, { t: 5000, kind: 'heal' }]);
    expect(r.valid).toBe('unknown');
  });
});

describe("a follower's restart elects nobody", () => {
  const restart: RunEventLike = { t: 6000, kind: 'restart', detail: { node: 'n3', ms: 3000 } };

  it('passes when the leader leads on in its term', () => {
    expect(checkRestartElectsNobody(steady(20_000), [restart]).valid).toBe(true);
    // Samples off the 1 s grid, running well past the window's end.
    const offGrid = steady(30_000).map((x) => ({ ...x, t: x.t + 500 }));
    expect(checkRestartElectsNobody(offGrid, [restart]).valid).toBe(true);
  });

  it('fails when the restarted node stands for election and the term moves', () => {
    const samples = [...steady(4000), s(5000, 'n3', 'candidate', 3), s(7000, 'n2', 'leader', 4)];
    const r = checkRestartElectsNobody(samples, [restart]);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(
      /n3 restarted at 3000 ms while n1 led in term 2; at 5000 ms n3 was candidate in term 3/,
    );
  });

  it('judges a restart alone: not a rolling mode change, nor one beside another fault', () => {
    const moved = [...steady(4000), s(5000, 'n1', 'follower', 2), s(7000, 'n2', 'leader', 3)];
    // A mode change restarts the node into another transport: its peers may not reach it yet.
    const modeChange: RunEventLike = {
      t: 6000,
      kind: 'restart',
      op: { do: 'mode-change' },
      detail: { node: 'n3', mode: 'iroh' },
    };
    expect(restartsToJudge([modeChange])).toEqual([]);
    expect(checkRestartElectsNobody(moved, [modeChange]).explanation).toBe(
      'no follower restart with a leader seen before it',
    );
    // n2 down while n3 restarts: the leader lost its quorum, which is no fault of the restart.
    const restartOp: RunEventLike = { ...restart, op: { do: 'restart', node: 'n3' } };
    const beside: RunEventLike = {
      t: 5500,
      kind: 'fault',
      op: { do: 'kill', node: 'n2' },
      detail: { node: 'n2' },
    };
    const r = checkRestartElectsNobody(moved, [restartOp, beside]);
    expect(r.valid).toBe(true);
    expect(r.explanation).toMatch(/n3's restart overlapped other faults \(kill n2 at 5500 ms\): not judged/);
    expect(checkRestartElectsNobody(moved, [restartOp]).valid).toBe(false);
  });

  it('cannot tell without samples covering the time after the restart', () => {
    expect(checkRestartElectsNobody(steady(4000), [restart]).valid).toBe('unknown');
  });
});

describe('a restarted follower follows the leader again', () => {
  // n3 stopped at 3000 ms and answered again at 6000 ms.
  const restart: RunEventLike = { t: 6000, kind: 'restart', detail: { node: 'n3', ms: 3000 } };
  /** Before the restart all three in term 2; after it, n3 as `after` says, n1 and n2 as before. */
  const around = (after: (t: number) => RaftSampleLike | undefined, until = 40_000) => [
    ...steady(3000),
    ...Array.from({ length: (until - 3000) / 1000 }, (_, i) => 3000 + i * 1000).flatMap((t) =>
      [s(t, 'n1', 'leader', 2), s(t, 'n2', 'follower', 2), after(t)].filter((x) => x !== undefined),
    ),
  ];

  it('passes when the node reports itself follower in the leader term', () => {
    const r = checkRestartedFollowerRejoins(
      around((t) => s(t, 'n3', 'follower', t < 9000 ? 0 : 2)),
      [restart],
    );
    expect(r.valid).toBe(true);
    expect(r.explanation).toMatch(/n3 followed again in term 2 3000 ms after it answered/);
  });

  it('fails when the node stays outside the cluster (term 0, never the leader term) past the bound', () => {
    // Blixard 3eb6411 in the lab: the joining node waits for a leader that never reaches it.
    const r = checkRestartedFollowerRejoins(
      around((t) => s(t, 'n3', 'follower', 0)),
      [restart],
    );
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(
      /n3 restarted at 3000 ms while n1 led in term 2, and was not seen following in that term within 30000 ms .*last seen follower in term 0/,
    );
  });

  it('does not count the node as following when it reports a term of its own', () => {
    // Blixard c127604: the restarted node stood for election and climbed terms while n1 led on in 2.
    const r = checkRestartedFollowerRejoins(
      around((t) => s(t, 'n3', t < 8000 ? 'candidate' : 'follower', Math.max(3, t / 1000))),
      [restart],
    );
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/not seen following in that term .*last seen follower in term 36/);
  });

  it('fails when the node never answers again within the bound', () => {
    const r = checkRestartedFollowerRejoins(
      around(() => undefined),
      [restart],
    );
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/no answer from it since/);
  });

  it('cannot tell when the samples end before the bound', () => {
    const r = checkRestartedFollowerRejoins(
      around((t) => s(t, 'n3', 'follower', 0), 20_000),
      [restart],
    );
    expect(r.valid).toBe('unknown');
  });

  it('does not judge a restart beside another fault, nor one of the leader', () => {
    const beside: RunEventLike = { t: 7000, kind: 'fault', op: { do: 'kill', node: 'n2' } };
    const r = checkRestartedFollowerRejoins(
      around((t) => s(t, 'n3', 'follower', 0)),
      [restart, beside],
    );
    expect(r.explanation).toMatch(/n3's restart overlapped other faults \(kill n2 at 7000 ms\): not judged/);
    const leaderRestart: RunEventLike = { t: 6000, kind: 'restart', detail: { node: 'n1', ms: 3000 } };
    expect(checkRestartedFollowerRejoins(steady(40_000), [leaderRestart]).valid).toBe('unknown');
  });
});
