import { describe, expect, it } from 'vitest';
import { RaftCore } from '../core/raft-core.ts';
import type { NodeId } from '../core/types.ts';
import { SafetyViolation } from './safety-checker.ts';
import { SimCluster } from './sim-cluster.ts';

/**
 * A core that breaks Raft's commit rule: it commits entries of older terms by counting replicas.
 * It exists only here, to show that the simulation's checkers catch an unsafe Raft.
 */
class CommitsOldTermsByCounting extends RaftCore {
  protected override mayCommitByCounting(): boolean {
    return true;
  }
}

interface Figure8Outcome {
  readonly violation?: SafetyViolation;
  /** Whether the node holding the higher-term entry (S5 in the paper) won the last election. */
  readonly s5Won: boolean;
}

/**
 * Figure 8 of the Raft paper, driven through partitions and crashes:
 * (a) S1 leads and replicates an entry X (index i) to S2 only;
 * (b) S1 crashes; S5 wins an election with S3 and S4 and appends its own entry at i, which it
 *     cannot replicate; S5 crashes;
 * (c) S1 (or S2) wins again and replicates X to S3: X is now on a majority. An unsafe leader
 *     commits it here, although the entry is from an older term;
 * (d) the leader crashes; S5 wins with S3 and S4 (its entry's term is higher) and overwrites X.
 * With the real commit rule, X only commits together with an entry of the new term, so (d) is
 * impossible: S5 can no longer win.
 */
function runFigure8(unsafe: boolean): Figure8Outcome {
  const all = ['s1', 's2', 's3', 's4', 's5'];
  const cluster = new SimCluster({
    seed: 8,
    voters: all,
    // One entry per append and one append in flight, so the old entry reaches S3 on its own.
    raft: { maxEntriesPerAppend: 1, maxInflightAppends: 1 },
    ...(unsafe ? { coreFactory: (o, p) => new CommitsOldTermsByCounting(o, p) } : {}),
  });
  const isolated = (...ids: NodeId[]) => all.filter((id) => !ids.includes(id)).map((id) => [id]);
  const leaderIn = (ids: readonly NodeId[]) =>
    ids.find((id) => cluster.node(id).core?.currentRole() === 'leader');

  try {
    // A stable leader whose own entry is committed everywhere.
    expect(cluster.runUntil(() => leaderIn(all) !== undefined, 3000)).toBe(true);
    const s1 = leaderIn(all) as NodeId;
    expect(
      cluster.runUntil(
        () => all.every((id) => cluster.core(id).log.committed === cluster.core(s1).log.lastIndex()),
        3000,
      ),
    ).toBe(true);
    const [s2, ...rest] = all.filter((id) => id !== s1) as [NodeId, NodeId, NodeId, NodeId];

    // (a) X goes to S2 only.
    cluster.partition([[s1, s2], ...rest.map((id) => [id])]);
    const x = cluster.propose(s1);
    expect(x).toBeDefined();
    const i = cluster.core(s1).log.lastIndex();
    expect(cluster.runUntil(() => cluster.core(s2).log.lastIndex() === i, 1000)).toBe(true);

    // (b) S1 crashes; one of the other three wins and is cut off at once, before it replicates.
    cluster.crash(s1);
    cluster.partition([[s2], rest]);
    expect(cluster.runUntil(() => leaderIn(rest) !== undefined, 3000)).toBe(true);
    const s5 = leaderIn(rest) as NodeId;
    cluster.partition(isolated());
    const [s3, s4] = rest.filter((id) => id !== s5) as [NodeId, NodeId];
    cluster.runFor(50);
    expect(cluster.node(s5).storage.term(i)).toBeGreaterThan(cluster.node(s2).storage.term(i) ?? 0);
    cluster.crash(s5);

    // (c) S1 comes back; S1 or S2 leads and brings X to S3. Stop when the leader has applied X.
    cluster.start(s1);
    cluster.partition([[s1, s2, s3], [s4], [s5]]);
    expect(cluster.runUntil(() => leaderIn([s1, s2]) !== undefined, 5000)).toBe(true);
    const leader = leaderIn([s1, s2]) as NodeId;
    expect(cluster.runUntil(() => cluster.node(leader).app.appliedIndex >= i, 5000)).toBe(true);
    cluster.partition(isolated());
    cluster.crash(leader);

    // (d) S5 returns and campaigns with S3 and S4.
    cluster.start(s5);
    cluster.partition([[s3, s4, s5], ...isolated(s3, s4, s5)]);
    const s5Won = cluster.runUntil(
      () => cluster.node(s5).core?.currentRole() === 'leader' && cluster.core(s5).log.committed > i,
      5000,
    );
    return { s5Won };
  } catch (err) {
    if (err instanceof SafetyViolation) return { violation: err, s5Won: false };
    throw err;
  }
}

describe('Figure 8: committing an entry from an older term by counting replicas', () => {
  it('is caught by the simulation checkers when the core breaks the commit rule', () => {
    const outcome = runFigure8(true);
    expect(outcome.violation).toBeInstanceOf(SafetyViolation);
    expect(outcome.violation?.message).toMatch(/committed entry|state machine safety|leader completeness/);
    console.log(`unsafe commit rule caught: ${outcome.violation?.message.split('\n')[0]}`);
  });

  it('cannot happen with the real commit rule: S5 can no longer win and nothing is lost', () => {
    const outcome = runFigure8(false);
    expect(outcome.violation).toBeUndefined();
    expect(outcome.s5Won).toBe(false);
  });
});
