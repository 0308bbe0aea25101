/**
 * The run's quiet tail: once the workloads stop, the samplers go on until every node that answers
 * reports one applied index with one digest in one round, or until a bound derived from the
 * cluster's own timeouts passes. Judging convergence from a few seconds sampled while the log was
 * still growing under writes would leave it undecided; this tail gives it a settled cluster to look
 * at, or a bound after which a disagreement is a real one.
 */
import {
  ELECTION_TIMEOUT_MAX_MS,
  REPLICATION_BOUND_MS,
  WaitTimeoutError,
  waitUntil,
} from '../../lab/runtime/index.ts';
import { type Agreement, agreeingRound, type RaftSampleLike } from '../../scenarios/checkers/index.ts';

/**
 * A node reachable again hears from the leader within REPLICATION_BOUND_MS; two more election
 * rounds cover a leader that changes on the way, and the sampling period is far below that.
 */
export const QUIET_BOUND_MS = REPLICATION_BOUND_MS + 2 * ELECTION_TIMEOUT_MAX_MS;

/**
 * The tail samples this much past the bound: a sample is timed when it is asked for and may take up
 * to its deadline (four raft periods), so the checker must find samples at or beyond its bound.
 */
const MARGIN_MS = 4 * 250;

export interface QuietOutcome {
  converged: boolean;
  waitedMs: number;
  /** The agreeing round (converged), or what was last seen. */
  seen: string;
}

function liveNodes(samples: readonly RaftSampleLike[], since: number): number {
  return new Set(samples.filter((s) => s.ok && s.t >= since).map((s) => s.node)).size;
}

/** Waits on the raft samples recorded from `from` (run clock) on; never throws on a timeout. */
export async function quietTail(o: {
  samples: () => readonly RaftSampleLike[];
  from: number;
  now: () => number;
  boundMs?: number | undefined;
}): Promise<QuietOutcome> {
  const boundMs = o.boundMs ?? QUIET_BOUND_MS + MARGIN_MS;
  const show = (a: Agreement) =>
    (a.agreed ?? a.last).map((s) => `${s.node}@${s.raft?.applied}:${s.raft?.digest.slice(0, 8)}`).join(' ') ||
    `${a.nodes} nodes answered, no full round yet`;
  try {
    const a = await waitUntil({
      what: 'every live node at one applied index and digest',
      boundMs,
      probe: async () => agreeingRound(o.samples(), o.from),
      // Every node that answered lately, not just those sampled since the tail began.
      holds: (a) => a.agreed !== undefined && a.agreed.length >= liveNodes(o.samples(), o.from - 1000),
      show,
      intervalMs: 250,
    });
    return { converged: true, waitedMs: Math.round(o.now() - o.from), seen: show(a) };
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    return { converged: false, waitedMs: Math.round(o.now() - o.from), seen: String(err.lastSeen) };
  }
}
