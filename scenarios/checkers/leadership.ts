/**
 * Leadership under node and link faults, from the samplers' view of every node (pure):
 *
 * - leader failover: while the leader is partitioned away, the other nodes elect a leader among
 *   themselves, in a higher term, within `failoverMs`;
 * - a follower's restart elects nobody: the leader before a follower restarts is still the leader,
 *   in the same term, `stableMs` after the restart completed (a restarting node that stands for
 *   election disrupts a healthy cluster: Blixard's "node restart candidate bug", 3eb6411);
 * - a restarted follower follows again: within `rejoinMs` after it answers again, the node reports
 *   itself follower in the term the leader led before the restart (a restart that leaves the node outside the cluster is no
 *   quiet restart either).
 *
 * Each is `unknown` when the samples do not cover the window it needs.
 */
import {
  type CheckResult,
  type OkSample,
  okSamples,
  type RaftSampleLike,
  type RunEventLike,
} from './raft-safety.ts';

export interface LeadershipOptions {
  /** How long the majority may take to elect a new leader (default 15 s). */
  failoverMs?: number | undefined;
  /** How long after a follower's restart the leader must stay (default 10 s). */
  stableMs?: number | undefined;
  /**
   * How long a restarted follower may take to follow the leader again (default 30 s: the longest a
   * joining Blixard node waits to identify its leader before it gives up).
   */
  rejoinMs?: number | undefined;
}

type Ok = OkSample;
const ok = okSamples;

const brief = (s: Ok) => ({ t: s.t, node: s.node, role: s.raft.role, term: s.raft.term });

/** The leader as last seen before `t`: the latest sample of a node reporting itself leader. */
function leaderBefore(samples: readonly Ok[], t: number): Ok | undefined {
  return samples.filter((s) => s.t < t && s.raft.role === 'leader').at(-1);
}

const nextHeal = (events: readonly RunEventLike[], t: number) =>
  events.find((e) => e.t > t && e.kind === 'heal')?.t ?? Number.POSITIVE_INFINITY;

export function checkLeaderFailover(
  samples: readonly RaftSampleLike[],
  events: readonly RunEventLike[],
  o: LeadershipOptions = {},
): CheckResult {
  const name = 'leadership: a partitioned leader is replaced';
  const bound = o.failoverMs ?? 15_000;
  const all = ok(samples);
  const partitions = events.filter(
    (e) => e.kind === 'fault' && e.op?.do === 'partition' && (e.op as { kind?: string }).kind === 'leader',
  );
  if (partitions.length === 0)
    return { name, valid: 'unknown', explanation: 'no leader partition', evidence: [] };
  const seen: string[] = [];
  for (const p of partitions) {
    const old = p.detail?.node as string | undefined;
    const before = leaderBefore(all, p.t);
    if (!old || !before)
      return {
        name,
        valid: 'unknown',
        explanation: `no leader seen before the partition at ${p.t} ms`,
        evidence: [],
      };
    const end = Math.min(nextHeal(events, p.t), p.t + bound);
    const successor = all.find(
      (s) =>
        s.t > p.t &&
        s.t <= end &&
        s.node !== old &&
        s.raft.role === 'leader' &&
        s.raft.term > before.raft.term,
    );
    if (successor) {
      seen.push(
        `${old} → ${successor.node} (term ${before.raft.term} → ${successor.raft.term}) in ${Math.round(successor.t - p.t)} ms`,
      );
      continue;
    }
    const window = end - p.t;
    const others = all.filter((s) => s.t > p.t && s.t <= end && s.node !== old);
    if (window < bound)
      return {
        name,
        valid: 'unknown',
        explanation: `the partition of ${old} at ${p.t} ms was healed after ${Math.round(window)} ms, before the ${bound} ms a failover may take`,
        evidence: others.slice(-3).map(brief),
      };
    return {
      name,
      valid: false,
      explanation: `${old} was partitioned at ${p.t} ms and no other node became leader in a term above ${before.raft.term} within ${bound} ms`,
      evidence: [brief(before), ...others.slice(-4).map(brief)],
    };
  }
  return { name, valid: true, explanation: seen.join('; '), evidence: [] };
}

/** A follower restart to judge: the node, when its stop began, and the leader seen before it. */
interface FollowerRestart {
  r: RunEventLike;
  node: string;
  began: number;
  leader: Ok;
}

/**
 * One check over each follower restart with `windowMs` around it. `judge` answers a line saying the
 * restart held, or the check's failing or undecided answer, which ends it. A restart beside other
 * faults is noted, not judged; one of the leader itself, or with no leader seen before it, is left out.
 */
function judgeFollowerRestarts(
  name: string,
  samples: readonly RaftSampleLike[],
  events: readonly RunEventLike[],
  windowMs: number,
  judge: (restart: FollowerRestart, all: readonly Ok[]) => string | Omit<CheckResult, 'name'>,
): CheckResult {
  const all = ok(samples);
  const seen: string[] = [];
  for (const r of restartsToJudge(events)) {
    const node = (r.detail?.node ?? r.op?.node) as string;
    // The restart event is recorded once the node answers again; its stop began `ms` earlier.
    const began = r.t - Number(r.detail?.ms ?? 0);
    const beside = faultsBeside(events, r, node, began - windowMs, r.t + windowMs);
    if (beside.length > 0) {
      seen.push(`${node}'s restart overlapped other faults (${beside.join(', ')}): not judged`);
      continue;
    }
    const leader = leaderBefore(all, began);
    if (!leader || leader.node === node) continue;
    const answer = judge({ r, node, began, leader }, all);
    if (typeof answer !== 'string') return { name, ...answer };
    seen.push(answer);
  }
  if (seen.length === 0)
    return {
      name,
      valid: 'unknown',
      explanation: 'no follower restart with a leader seen before it',
      evidence: [],
    };
  return { name, valid: true, explanation: seen.join('; '), evidence: [] };
}

export function checkRestartElectsNobody(
  samples: readonly RaftSampleLike[],
  events: readonly RunEventLike[],
  o: LeadershipOptions = {},
): CheckResult {
  const stable = o.stableMs ?? 10_000;
  return judgeFollowerRestarts(
    "leadership: a follower's restart elects nobody",
    samples,
    events,
    stable,
    ({ r, node, began, leader }, all) => {
      const after = all.filter((s) => s.t > began && s.t <= r.t + stable);
      // Whether the samples reach the window's end: any sample at or past it, of any node.
      const lastSeen = all.at(-1)?.t ?? began;
      const moved = after.find(
        (s) =>
          s.raft.term > leader.raft.term ||
          (s.raft.role === 'leader' && s.node !== leader.node) ||
          (s.node === leader.node && s.raft.role !== 'leader'),
      );
      if (moved)
        return {
          valid: false,
          explanation: `${node} restarted at ${Math.round(began)} ms while ${leader.node} led in term ${leader.raft.term}; at ${Math.round(moved.t)} ms ${moved.node} was ${moved.raft.role} in term ${moved.raft.term}`,
          evidence: [brief(leader), brief(moved)],
        };
      if (lastSeen < r.t + stable)
        return {
          valid: 'unknown',
          explanation: `samples after ${node}'s restart end at ${Math.round(lastSeen)} ms, before ${Math.round(r.t + stable)} ms (${stable} ms after it was back)`,
          evidence: [],
        };
      return `${node} restarted, ${leader.node} led on in term ${leader.raft.term}`;
    },
  );
}

export function checkRestartedFollowerRejoins(
  samples: readonly RaftSampleLike[],
  events: readonly RunEventLike[],
  o: LeadershipOptions = {},
): CheckResult {
  const bound = o.rejoinMs ?? 30_000;
  return judgeFollowerRestarts(
    'leadership: a restarted follower follows the leader again',
    samples,
    events,
    bound,
    ({ r, node, began, leader }, all) => {
      const mine = all.filter((s) => s.node === node && s.t > began);
      const back = mine.find(
        (s) => s.t <= r.t + bound && s.raft.role === 'follower' && s.raft.term === leader.raft.term,
      );
      if (back)
        return `${node} followed again in term ${back.raft.term} ${Math.max(0, Math.round(back.t - r.t))} ms after it answered`;
      const lastSeen = all.at(-1)?.t ?? began;
      if (lastSeen < r.t + bound)
        return {
          valid: 'unknown',
          explanation: `samples after ${node}'s restart end at ${Math.round(lastSeen)} ms, before ${Math.round(r.t + bound)} ms (${bound} ms after it answered again)`,
          evidence: [],
        };
      const last = mine.filter((s) => s.t <= r.t + bound).at(-1);
      return {
        valid: false,
        explanation: `${node} restarted at ${Math.round(began)} ms while ${leader.node} led in term ${leader.raft.term}, and was not seen following in that term within ${bound} ms after it answered again (${last ? `last seen ${last.raft.role} in term ${last.raft.term} at ${Math.round(last.t)} ms` : 'no answer from it since'})`,
        evidence: [brief(leader), ...(last ? [brief(last)] : [])],
      };
    },
  );
}

/**
 * The restarts the check is about: a node restarted by a `restart`, `kill`/`start` or the like. Not
 * a rolling mode change's: it restarts a node into another transport, which its peers may not reach
 * until they change too, so a leader may lose its quorum through no fault of the restart.
 */
export function restartsToJudge(events: readonly RunEventLike[]): RunEventLike[] {
  return events.filter(
    (e) =>
      e.kind === 'restart' &&
      e.op?.do !== 'mode-change' &&
      typeof (e.detail?.node ?? e.op?.node) === 'string',
  );
}

/** Faults, restarts and mode changes of other nodes (or of the whole cluster) within [from, to]. */
function faultsBeside(
  events: readonly RunEventLike[],
  r: RunEventLike,
  node: string,
  from: number,
  to: number,
) {
  return events
    .filter(
      (e) =>
        e !== r &&
        e.t >= from &&
        e.t <= to &&
        (e.kind === 'fault' || e.kind === 'restart' || e.kind === 'mode-change' || e.kind === 'rollout') &&
        (e.detail?.node ?? e.op?.node) !== node,
    )
    .map(
      (e) =>
        `${e.op?.do ?? e.kind}${(e.detail?.node ?? e.op?.node) ? ` ${e.detail?.node ?? e.op?.node}` : ''} at ${Math.round(e.t)} ms`,
    );
}
