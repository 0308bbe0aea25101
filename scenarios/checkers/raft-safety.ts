/**
 * Raft safety from the samplers' view of every node (samples.jsonl, `kind: 'raft'`: each node's own
 * GetRaftStatus, taken by the lab outside the workload's path) and the run's events (restarts).
 * Pure. Each check returns { name, valid: true | false | 'unknown', explanation, evidence }:
 *
 * - one-leader-per-term: no two nodes report themselves leader in the same term;
 * - term-monotonic: a node's term never decreases (it is durable, so not even across a restart);
 * - commit-monotonic: a node's commit index never decreases, except across a restart of that node;
 * - applied-digest: two samples (any nodes, any times) at the same applied index have the same
 *   state digest;
 * - convergence: after the last heal, every node that still answers reports one applied index and
 *   digest at one moment (samples of all nodes within one round), within `convergeMs`.
 *
 * What it cannot see: anything between samples (a leader that lasted less than a period), nodes
 * that do not answer (their samples are `ok: false`), and restarts the events do not name.
 */

export type Validity = true | false | 'unknown';

export interface CheckResult {
  name: string;
  valid: Validity;
  explanation: string;
  /** The samples, events or ops that decided it (at most a few). */
  evidence: unknown[];
}

/** A raft sample as the sampler writes it (only what the checks read). */
export interface RaftSampleLike {
  kind: string;
  t: number;
  node: string;
  ok: boolean;
  raft?: { role: string; term: number; commit: number; applied: number; digest: string } | undefined;
}

/** A run event (events.jsonl) as far as restarts go. */
export interface RunEventLike {
  t: number;
  kind: string;
  op?: { do?: string; node?: string } | undefined;
  detail?: Record<string, unknown> | undefined;
}

export interface RaftSafetyOptions {
  /** How long after the last heal every live node must agree (default 10 s). */
  convergeMs?: number | undefined;
  /** Samples of different nodes this close in time are one round (default 300 ms). */
  roundMs?: number | undefined;
  /**
   * A restart event is recorded once the node answers again; a sample may see the restarted node a
   * little before that. A drop in commit is put down to a restart recorded up to this long after
   * the sample (default 30 s, the nemesis' health wait).
   */
  restartSlackMs?: number | undefined;
}

/** A sample that answered, with its Raft view. */
export type OkSample = RaftSampleLike & { raft: NonNullable<RaftSampleLike['raft']> };

/** The samples that answered, in time order. */
export function okSamples(samples: readonly RaftSampleLike[]): OkSample[] {
  return samples
    .filter((s): s is OkSample => s.kind === 'raft' && s.ok && s.raft !== undefined)
    .sort((a, b) => a.t - b.t);
}

function byNode(samples: readonly OkSample[]): Map<string, OkSample[]> {
  const m = new Map<string, OkSample[]>();
  for (const s of samples) {
    const list = m.get(s.node) ?? [];
    list.push(s);
    m.set(s.node, list);
  }
  return m;
}

function brief(s: OkSample) {
  return { t: s.t, node: s.node, ...s.raft };
}

export function checkOneLeaderPerTerm(samples: readonly RaftSampleLike[]): CheckResult {
  const name = 'raft: one leader per term';
  const leaders = new Map<number, Map<string, OkSample>>();
  for (const s of okSamples(samples)) {
    if (s.raft.role !== 'leader') continue;
    const m = leaders.get(s.raft.term) ?? new Map<string, OkSample>();
    if (!m.has(s.node)) m.set(s.node, s);
    leaders.set(s.raft.term, m);
  }
  for (const [term, m] of leaders) {
    if (m.size > 1)
      return {
        name,
        valid: false,
        explanation: `term ${term} has ${m.size} leaders: ${[...m.keys()].join(', ')}`,
        evidence: [...m.values()].map(brief),
      };
  }
  if (leaders.size === 0)
    return { name, valid: 'unknown', explanation: 'no sample saw a leader', evidence: [] };
  return { name, valid: true, explanation: `${leaders.size} terms, one leader each`, evidence: [] };
}

export function checkTermMonotonic(samples: readonly RaftSampleLike[]): CheckResult {
  const name = 'raft: terms never decrease';
  const nodes = byNode(okSamples(samples));
  for (const [node, list] of nodes) {
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as OkSample;
      const b = list[i] as OkSample;
      if (b.raft.term < a.raft.term)
        return {
          name,
          valid: false,
          explanation: `${node}'s term went from ${a.raft.term} to ${b.raft.term}`,
          evidence: [brief(a), brief(b)],
        };
    }
  }
  if (nodes.size === 0) return { name, valid: 'unknown', explanation: 'no raft samples', evidence: [] };
  return { name, valid: true, explanation: `${nodes.size} nodes, terms never decreased`, evidence: [] };
}

/** Restarts by node: times of events that stopped or restarted it. */
function restartTimes(events: readonly RunEventLike[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const e of events) {
    const node = (e.detail?.node as string | undefined) ?? e.op?.node;
    if (typeof node !== 'string') continue;
    const restart =
      e.kind === 'restart' || (e.kind === 'fault' && (e.op?.do === 'kill' || e.op?.do === 'stop'));
    if (!restart) continue;
    m.set(node, [...(m.get(node) ?? []), e.t]);
  }
  return m;
}

export function checkCommitMonotonic(
  samples: readonly RaftSampleLike[],
  events: readonly RunEventLike[],
  o: RaftSafetyOptions = {},
): CheckResult {
  const name = 'raft: commit index never decreases (except across a restart)';
  const slack = o.restartSlackMs ?? 30_000;
  const restarts = restartTimes(events);
  const nodes = byNode(okSamples(samples));
  for (const [node, list] of nodes) {
    const times = restarts.get(node) ?? [];
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as OkSample;
      const b = list[i] as OkSample;
      if (b.raft.commit >= a.raft.commit) continue;
      const restarted = times.some((t) => t > a.t && t <= b.t + slack);
      if (!restarted)
        return {
          name,
          valid: false,
          explanation: `${node}'s commit index went from ${a.raft.commit} to ${b.raft.commit} with no restart of ${node} in between`,
          evidence: [brief(a), brief(b)],
        };
    }
  }
  if (nodes.size === 0) return { name, valid: 'unknown', explanation: 'no raft samples', evidence: [] };
  return { name, valid: true, explanation: `${nodes.size} nodes, commit never went back`, evidence: [] };
}

export function checkAppliedDigest(samples: readonly RaftSampleLike[]): CheckResult {
  const name = 'raft: equal applied index, equal state digest';
  const seen = new Map<number, OkSample>();
  let compared = 0;
  for (const s of okSamples(samples)) {
    const first = seen.get(s.raft.applied);
    if (!first) {
      seen.set(s.raft.applied, s);
      continue;
    }
    compared++;
    if (first.raft.digest !== s.raft.digest)
      return {
        name,
        valid: false,
        explanation: `at applied index ${s.raft.applied}, ${first.node} had digest ${first.raft.digest.slice(0, 12)} and ${s.node} ${s.raft.digest.slice(0, 12)}`,
        evidence: [brief(first), brief(s)],
      };
  }
  if (compared === 0)
    return { name, valid: 'unknown', explanation: 'no two samples at one applied index', evidence: [] };
  return {
    name,
    valid: true,
    explanation: `${compared} samples matched an earlier one's digest`,
    evidence: [],
  };
}

/** When the last fault ended: the last heal/restart/recovery event (0 when there was none). */
export function lastHealTime(events: readonly RunEventLike[]): number {
  let t = 0;
  for (const e of events) if (e.kind === 'heal' || e.kind === 'restart') t = Math.max(t, e.t);
  return t;
}

export function checkConvergence(
  samples: readonly RaftSampleLike[],
  events: readonly RunEventLike[],
  o: RaftSafetyOptions = {},
): CheckResult {
  const name = 'raft: every live node converges after the heal';
  const bound = o.convergeMs ?? 10_000;
  const round = o.roundMs ?? 300;
  const healed = lastHealTime(events);
  const after = okSamples(samples).filter((s) => s.t >= healed);
  const nodes = byNode(after);
  if (nodes.size === 0)
    return {
      name,
      valid: 'unknown',
      explanation: `no node answered after the heal at ${healed} ms`,
      evidence: [],
    };
  const lists = [...nodes.values()];
  const anchor = lists[0] as OkSample[];
  let last: OkSample[] = [];
  for (const s of anchor) {
    // Each node's sample nearest this one, within a round.
    const roundOf = lists.map((l) =>
      l.reduce<OkSample | undefined>(
        (best, x) =>
          Math.abs(x.t - s.t) <= round && (!best || Math.abs(x.t - s.t) < Math.abs(best.t - s.t)) ? x : best,
        undefined,
      ),
    );
    if (roundOf.some((x) => x === undefined)) continue;
    const found = roundOf as OkSample[];
    last = found;
    const agree = found.every((x) => x.raft.applied === s.raft.applied && x.raft.digest === s.raft.digest);
    if (!agree) continue;
    const took = s.t - healed;
    return took <= bound
      ? {
          name,
          valid: true,
          explanation: `${nodes.size} nodes at applied ${s.raft.applied} with one digest ${Math.round(took)} ms after the heal`,
          evidence: [],
        }
      : {
          name,
          valid: false,
          explanation: `converged only ${Math.round(took)} ms after the heal (bound ${bound} ms)`,
          evidence: found.map(brief),
        };
  }
  const span = (anchor.at(-1)?.t ?? healed) - healed;
  // Not agreeing while writes still land is lag, not divergence: only a cluster that stopped
  // moving (no node's applied index grew over the last second sampled) and still disagrees fails.
  const end = anchor.at(-1)?.t ?? healed;
  const maxApplied = (from: number, to: number) =>
    Math.max(-1, ...after.filter((x) => x.t >= from && x.t <= to).map((x) => x.raft.applied));
  const still = maxApplied(end - 1000, end) === maxApplied(healed, end - 1000);
  if (span >= bound && still && last.length > 0)
    return {
      name,
      valid: false,
      explanation: `${nodes.size} nodes stopped at different applied indexes or digests, ${Math.round(span)} ms after the heal (bound ${bound} ms)`,
      evidence: last.map(brief),
    };
  return {
    name,
    valid: 'unknown',
    explanation: `no round of samples after the heal (${Math.round(span)} ms sampled) had every node at one applied index and digest, while the log still grew`,
    evidence: last.map(brief),
  };
}

/** Every Raft safety check over a run's samples and events. */
export function checkRaftSafety(
  samples: readonly RaftSampleLike[],
  events: readonly RunEventLike[],
  o: RaftSafetyOptions = {},
): CheckResult[] {
  return [
    checkOneLeaderPerTerm(samples),
    checkTermMonotonic(samples),
    checkCommitMonotonic(samples, events, o),
    checkAppliedDigest(samples),
    checkConvergence(samples, events, o),
  ];
}
