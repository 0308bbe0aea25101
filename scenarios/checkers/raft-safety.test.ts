/** Raft safety checks over hand-made sample streams: each property holds, breaks, or cannot be told. */
import { describe, expect, it } from 'vitest';
import {
  checkAppliedDigest,
  checkCommitMonotonic,
  checkConvergence,
  checkOneLeaderPerTerm,
  checkRaftSafety,
  checkTermMonotonic,
  type RaftSampleLike,
  type RunEventLike,
} from './raft-safety.ts';

function s(
  t: number,
  node: string,
  role: string,
  term: number,
  commit: number,
  applied = commit,
  digest = `d${applied}`,
): RaftSampleLike {
  return { kind: 'raft', t, node, ok: true, raft: { role, term, commit, applied, digest } };
}

/** A healthy 3-node stream: n1 leads term 2, every node reaches index 10 by t=1500. */
function healthy(): RaftSampleLike[] {
  const out: RaftSampleLike[] = [];
  for (let i = 0; i <= 10; i++) {
    const t = i * 250;
    const idx = Math.min(10, i * 2);
    // n3 is one round behind: all three agree from t=1500 on.
    const behind = Math.min(10, Math.max(0, (i - 1) * 2));
    out.push(
      s(t, 'n1', 'leader', 2, idx),
      s(t + 5, 'n2', 'follower', 2, idx),
      s(t + 9, 'n3', 'follower', 2, behind),
    );
  }
  return out;
}

describe('raft safety', () => {
  it('a healthy stream passes every check', () => {
    const results = checkRaftSafety(healthy(), [{ t: 100, kind: 'heal' }]);
    expect(results.map((r) => [r.name, r.valid])).toEqual(results.map((r) => [r.name, true]));
  });

  it('two leaders in one term', () => {
    const r = checkOneLeaderPerTerm([...healthy(), s(3000, 'n3', 'leader', 2, 10)]);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/term 2 has 2 leaders: n1, n3/);
    expect(r.evidence).toHaveLength(2);
  });

  it('a term that goes back, even across a restart', () => {
    const events: RunEventLike[] = [{ t: 2900, kind: 'restart', detail: { node: 'n2' } }];
    const r = checkTermMonotonic([...healthy(), s(3000, 'n2', 'follower', 1, 10)]);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/n2's term went from 2 to 1/);
    expect(checkCommitMonotonic([...healthy(), s(3000, 'n2', 'follower', 2, 4)], events).valid).toBe(true);
  });

  it('a commit index that goes back without a restart', () => {
    const r = checkCommitMonotonic([...healthy(), s(3000, 'n2', 'follower', 2, 4)], []);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/n2's commit index went from 10 to 4 with no restart/);
    // A kill of another node does not excuse it.
    expect(
      checkCommitMonotonic(
        [...healthy(), s(3000, 'n2', 'follower', 2, 4)],
        [{ t: 2800, kind: 'fault', op: { do: 'kill', node: 'n3' }, detail: { node: 'n3' } }],
      ).valid,
    ).toBe(false);
  });

  it('samples in flight together are not ordered: a drop counts only after the earlier answer came back', () => {
    // The sampler keeps up to four requests in flight per node; `t` is when each was sent and `ms`
    // how long its answer took. A slow request sent at 3000 ms may read the node after a quick one
    // sent at 3100 ms did, so their values say nothing about order.
    const slow = { ...s(3000, 'n2', 'follower', 3, 12), ms: 400 };
    const quick = { ...s(3100, 'n2', 'follower', 2, 11), ms: 5 };
    const overlapping = [...healthy(), slow, quick];
    expect(checkCommitMonotonic(overlapping, []).valid).toBe(true);
    expect(checkTermMonotonic(overlapping).valid).toBe(true);
    // Sent after the slow one's answer came back: a real step back.
    const after = { ...s(3500, 'n2', 'follower', 2, 11), ms: 5 };
    const ordered = [...healthy(), slow, after];
    const commit = checkCommitMonotonic(ordered, []);
    expect(commit.valid).toBe(false);
    expect(commit.explanation).toMatch(/n2's commit index went from 12 to 11/);
    expect(checkTermMonotonic(ordered).explanation).toMatch(/n2's term went from 3 to 2/);
  });

  it('two samples whose calls overlapped may have been answered in the other order: not a decrease', () => {
    // Asked at 3000, answered 600 ms later (commit 12); asked at 3100, answered at once (commit 11).
    const slow = { ...s(3000, 'n2', 'follower', 2, 12), ms: 600 };
    const fast = { ...s(3100, 'n2', 'follower', 2, 11), ms: 20 };
    expect(checkCommitMonotonic([...healthy(), slow, fast], []).valid).toBe(true);
    // Asked after the first answer came back: that one is a decrease.
    const later = { ...s(3700, 'n2', 'follower', 2, 11), ms: 20 };
    const r = checkCommitMonotonic([...healthy(), slow, later], []);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/n2's commit index went from 12 to 11 with no restart/);
    // A restart excuses the fall to 4, not a later one from 6 to 5.
    const restart: RunEventLike[] = [{ t: 3050, kind: 'restart', detail: { node: 'n2' } }];
    const after = [4, 6, 5].map((c, i) => ({ ...s(3200 + i * 300, 'n2', 'follower', 2, c), ms: 10 }));
    expect(checkCommitMonotonic([...healthy(), after[0] as RaftSampleLike], restart).valid).toBe(true);
    const r2 = checkCommitMonotonic([...healthy(), ...after], restart);
    expect(r2.valid).toBe(false);
    expect(r2.explanation).toMatch(/from 6 to 5/);
  });

  it('one applied index, two digests', () => {
    const r = checkAppliedDigest([...healthy(), s(3000, 'n3', 'follower', 2, 6, 6, 'other')]);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/at applied index 6/);
  });

  it('convergence: in time, too late, stuck apart, or not told while the log still grows', () => {
    expect(checkConvergence(healthy(), [{ t: 100, kind: 'heal' }]).valid).toBe(true);
    expect(checkConvergence(healthy(), [{ t: 100, kind: 'heal' }], { convergeMs: 500 }).valid).toBe(false);
    // n3 stays behind at 6 while the others sit at 10 for ten seconds: stuck apart.
    const stuck: RaftSampleLike[] = [];
    for (let i = 0; i <= 60; i++) {
      const t = i * 250;
      stuck.push(
        s(t, 'n1', 'leader', 2, 10),
        s(t + 5, 'n2', 'follower', 2, 10),
        s(t + 9, 'n3', 'follower', 2, 6),
      );
    }
    const r = checkConvergence(stuck, [{ t: 0, kind: 'heal' }]);
    expect(r.valid).toBe(false);
    expect(r.evidence).toHaveLength(3);
    // Everyone still moving (n3 one behind each round): lag, not divergence.
    const moving: RaftSampleLike[] = [];
    for (let i = 0; i <= 60; i++) {
      const t = i * 250;
      moving.push(
        s(t, 'n1', 'leader', 2, i + 1),
        s(t + 5, 'n2', 'follower', 2, i + 1),
        s(t + 9, 'n3', 'follower', 2, i),
      );
    }
    expect(checkConvergence(moving, [{ t: 0, kind: 'heal' }]).valid).toBe('unknown');
  });

  it('convergence is timed from the quiet tail: writes that go on after the heal are not lag held against it', () => {
    // Healed at 1 s; the workload writes until 20 s (n3 one behind each round), then stops
    // (`quiet`); at 21 s every node sits at one index and digest.
    const samples: RaftSampleLike[] = [];
    for (let i = 0; i <= 100; i++) {
      const t = i * 250;
      const index = Math.min(i + 1, 81);
      samples.push(
        s(t, 'n1', 'leader', 2, index),
        s(t + 5, 'n2', 'follower', 2, index),
        s(t + 9, 'n3', 'follower', 2, t < 21_000 ? index - 1 : index),
      );
    }
    const events: RunEventLike[] = [
      { t: 1000, kind: 'heal' },
      { t: 20_000, kind: 'quiet' },
    ];
    const r = checkConvergence(samples, events, { convergeMs: 11_000 });
    expect(r.valid, r.explanation).toBe(true);
    expect(r.explanation).toMatch(/1000 ms after the workload stopped/);
    // The tail cut short before the nodes agreed (an aborted run): undecided, never a pass.
    expect(
      checkConvergence(
        samples.filter((x) => x.t < 20_500),
        events,
        { convergeMs: 11_000 },
      ).valid,
    ).toBe('unknown');
  });

  it('no samples: unknown, never a pass', () => {
    for (const r of checkRaftSafety([{ kind: 'raft', t: 0, node: 'n1', ok: false }], []))
      expect(r.valid, r.name).toBe('unknown');
  });
});
