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
 * - convergence: once the run is quiet (the last heal, or the start of the run's quiet tail, when
 *   the workload stopped, whichever is later), every node that still answers reports one applied
 *   index and digest at one moment (samples of all nodes within one round), within `convergeMs`.
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
  /** How long the call took: its answer was given somewhere in [t, t + ms]. */
  ms?: number | undefined;
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
  /** How long after the run went quiet every live node must agree (default 10 s). */
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

function briefOf(s: OkSample) {
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
        evidence: [...m.values()].map(briefOf),
      };
  }
  if (leaders.size === 0)
    return { name, valid: 'unknown', explanation: 'no sample saw a leader', evidence: [] };
  return { name, valid: true, explanation: `${leaders.size} terms, one leader each`, evidence: [] };
}

/**
 * Per node, the first sample whose value is below one read before it. The sampler keeps several
 * requests in flight, so only a sample sent after another's answer came back is known to have read
 * the node later; samples in flight together are not ordered.
 */
function* stepsBack(
  list: readonly OkSample[],
  value: (s: OkSample) => number,
): Generator<[OkSample, OkSample]> {
  const byEnd = [...list].sort((a, b) => endOf(a) - endOf(b));
  let done = 0;
  let highest: OkSample | undefined;
  for (const b of list) {
    while (done < byEnd.length && endOf(byEnd[done] as OkSample) <= b.t) {
      const a = byEnd[done++] as OkSample;
      if (!highest || value(a) > value(highest)) highest = a;
    }
    if (highest && value(b) < value(highest)) yield [highest, b];
  }
}

function endOf(s: OkSample): number {
  return s.t + (s.ms ?? 0);
}

export function checkTermMonotonic(samples: readonly RaftSampleLike[]): CheckResult {
  const name = 'raft: terms never decrease';
  const nodes = byNode(okSamples(samples));
  for (const [node, list] of nodes) {
    for (const [a, b] of stepsBack(list, (x) => x.raft.term))
      return {
        name,
        valid: false,
        explanation: `${node}'s term went from ${a.raft.term} to ${b.raft.term}`,
        evidence: [briefOf(a), briefOf(b)],
      };
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
    // Calls overlap on a loaded host (several in flight per node): only a sample asked after an
    // earlier one was answered is known to be later. Compare each with the highest commit answered
    // before it was asked.
    const byEnd = [...list].sort((x, y) => endOf(x) - endOf(y));
    let j = 0;
    let a: OkSample | undefined;
    // Samples asked before the last restart that excused a decrease no longer count.
    let since = Number.NEGATIVE_INFINITY;
    for (const b of list) {
      for (; j < byEnd.length && endOf(byEnd[j] as OkSample) <= b.t; j++) {
        const done = byEnd[j] as OkSample;
        if (done.t > since && (a === undefined || done.raft.commit >= a.raft.commit)) a = done;
      }
      if (a === undefined || b.raft.commit >= a.raft.commit) continue;
      const from = a.t;
      const restart = times.filter((t) => t > from && t <= b.t + slack).at(-1);
      if (restart === undefined)
        return {
          name,
          valid: false,
          explanation: `${node}'s commit index went from ${a.raft.commit} to ${b.raft.commit} with no restart of ${node} in between`,
          evidence: [briefOf(a), briefOf(b)],
        };
      since = restart;
      a = b.t > restart ? b : undefined;
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
        evidence: [briefOf(first), briefOf(s)],
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

/**
 * When the run went quiet: the last heal, or the start of the run's quiet tail (the workload stopped,
 * sampling goes on) when that came later.
 */
export function quietTime(events: readonly RunEventLike[]): { t: number; what: string } {
  const healed = lastHealTime(events);
  const quiet = Math.max(-1, ...events.filter((e) => e.kind === 'quiet').map((e) => e.t));
  return quiet > healed ? { t: quiet, what: 'the workload stopped' } : { t: healed, what: 'the heal' };
}

export interface Agreement {
  /** Nodes that answered since `from`. */
  nodes: number;
  /** The first round in which every one of them reported one applied index and digest. */
  agreed?: RaftSampleLike[] | undefined;
  /** The last complete round looked at (evidence when none agreed). */
  last: RaftSampleLike[];
}

/**
 * The first round of samples from `from` on in which every node that answered since then reports
 * one applied index and one digest (a round: each node's sample nearest the first node's, within
 * `roundMs`). The run's quiet tail waits for it; the convergence check judges it.
 */
export function agreeingRound(samples: readonly RaftSampleLike[], from: number, roundMs = 300): Agreement {
  const after = okSamples(samples).filter((s) => s.t >= from);
  const lists = [...byNode(after).values()];
  const anchor = lists[0] ?? [];
  let last: OkSample[] = [];
  for (const s of anchor) {
    const roundOf = lists.map((l) =>
      l.reduce<OkSample | undefined>(
        (best, x) =>
          Math.abs(x.t - s.t) <= roundMs && (!best || Math.abs(x.t - s.t) < Math.abs(best.t - s.t))
            ? x
            : best,
        undefined,
      ),
    );
    if (roundOf.some((x) => x === undefined)) continue;
    last = roundOf as OkSample[];
    if (last.every((x) => x.raft.applied === s.raft.applied && x.raft.digest === s.raft.digest))
      return { nodes: lists.length, agreed: last, last };
  }
  return { nodes: lists.length, last };
}

export function checkConvergence(
  samples: readonly RaftSampleLike[],
  events: readonly RunEventLike[],
  o: RaftSafetyOptions = {},
): CheckResult {
  const name = 'raft: every live node converges after the heal';
  const bound = o.convergeMs ?? 10_000;
  const { t: quiet, what } = quietTime(events);
  const { nodes, agreed, last } = agreeingRound(samples, quiet, o.roundMs ?? 300);
  const brief = (list: RaftSampleLike[]) => (list as OkSample[]).map(briefOf);
  if (nodes === 0)
    return {
      name,
      valid: 'unknown',
      explanation: `no node answered after ${what} at ${Math.round(quiet)} ms`,
      evidence: [],
    };
  if (agreed) {
    const first = agreed[0] as OkSample;
    const took = first.t - quiet;
    return took <= bound
      ? {
          name,
          valid: true,
          explanation: `${nodes} nodes at applied ${first.raft.applied} with one digest ${Math.round(took)} ms after ${what}`,
          evidence: [],
        }
      : {
          name,
          valid: false,
          explanation: `converged only ${Math.round(took)} ms after ${what} (bound ${bound} ms)`,
          evidence: brief(agreed),
        };
  }
  const after = okSamples(samples).filter((s) => s.t >= quiet);
  const end = after.at(-1)?.t ?? quiet;
  const span = end - quiet;
  // Not agreeing while entries still land is lag, not divergence: only a cluster that stopped
  // moving (no node's applied index grew over the last second sampled) and still disagrees fails.
  const maxApplied = (from: number, to: number) =>
    Math.max(-1, ...after.filter((x) => x.t >= from && x.t <= to).map((x) => x.raft.applied));
  const still = maxApplied(end - 1000, end) === maxApplied(quiet, end - 1000);
  if (span >= bound && still && last.length > 0)
    return {
      name,
      valid: false,
      explanation: `${nodes} nodes stopped at different applied indexes or digests, ${Math.round(span)} ms after ${what} (bound ${bound} ms)`,
      evidence: brief(last),
    };
  return {
    name,
    valid: 'unknown',
    explanation: `no round of samples after ${what} (${Math.round(span)} ms sampled) had every node at one applied index and digest, ${span >= bound ? 'while the log still grew' : `and sampling stopped before the bound (${bound} ms)`}`,
    evidence: brief(last),
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
