/**
 * The migration's Raft decision on a recorded run: Raft message p50/p99 per transport and election
 * stability, both taken outside the run's fault windows, and the rule's outcome (Raft may move to
 * Iroh only while its p99 message latency is under 10 ms and stability above 99.9 %). Pure: it reads
 * the samples (samples.jsonl) and events of a run; chaos/README.md defines the figures.
 */
import { MIGRATION_THRESHOLDS, type MigrationThresholds } from '../../dashboards/index.ts';
import type { RunEvent } from '../record/index.ts';
import { faultWindows, histogramQuantile, parseProm } from '../report/index.ts';

export interface TransportFigures {
  transport: string;
  /** Raft message batches observed outside fault windows. */
  messages: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Over the whole sampled run, faults included (for comparison). */
  wholeRunP99Ms: number | null;
}

export interface RaftDecision {
  outcome: 'may-move' | 'may-not-move' | 'undecided';
  /** One sentence: "Raft may move to Iroh: p99 … ms < 10 ms, stability … % > 99.9 %", or why not. */
  statement: string;
  transports: TransportFigures[];
  /** Every transport's messages together (`transport: 'all'`): what an adaptive Raft saw. */
  all: TransportFigures;
  /** Share (0..1) of the sampled time outside fault windows with one agreed leader and no term change; null when none was sampled. */
  stability: number | null;
  /** Term changes seen outside fault windows. */
  elections: number;
  /** Sampled time outside fault windows that stability is taken over (ms). */
  observedMs: number;
  /** Time left out: fault windows, each with the grace after it (ms, merged). */
  excludedMs: number;
}

export interface RaftDecisionOptions {
  /** After a fault ends, a re-election is its consequence, not instability: left out this long (default 2000 ms, twice the longest election timeout). */
  graceMs?: number | undefined;
  /** A node's last sample older than this does not speak for it (default 1000 ms). */
  freshMs?: number | undefined;
  thresholds?: MigrationThresholds | undefined;
}

interface Sampled {
  kind?: unknown;
  t: number;
  node: string;
  ok: boolean;
}
interface RaftSampled extends Sampled {
  raft?: { term: number; leader: string } | undefined;
}
interface MetricsSampled extends Sampled {
  prom?: string | undefined;
}

type Span = { start: number; end: number };

export function decideRaft(
  samples: readonly Sampled[],
  events: readonly RunEvent[],
  options: RaftDecisionOptions = {},
): RaftDecision {
  const t = options.thresholds ?? MIGRATION_THRESHOLDS;
  const endMs = Math.max(0, ...samples.map((s) => s.t), ...events.map((e) => e.t));
  const excluded = exclusions(events, endMs, options.graceMs ?? 2000);
  const raft = samples.filter((s) => s.kind === 'raft') as RaftSampled[];
  const metrics = samples.filter((s) => s.kind === 'metrics' && s.ok) as MetricsSampled[];
  const st = stability(raft, excluded, options.freshMs ?? 1000);
  const { transports, all } = messageFigures(metrics, excluded);
  const base = {
    transports,
    all,
    stability: st.stability,
    elections: st.elections,
    observedMs: st.observedMs,
    excludedMs: excluded.reduce((n, w) => n + (Math.min(w.end, endMs) - w.start), 0),
  };
  const iroh = transports.find((f) => f.transport === 'iroh');
  if (st.stability === null)
    return { ...base, outcome: 'undecided', statement: 'No decision: no Raft sample outside fault windows' };
  if (!iroh || iroh.messages === 0 || iroh.p99Ms === null) {
    const used = transports.filter((f) => f.messages > 0).map((f) => f.transport);
    return {
      ...base,
      outcome: 'undecided',
      statement: `No decision: no Raft message went over Iroh outside fault windows (Raft ran over ${used.join(', ') || 'no transport'})`,
    };
  }
  const p99 = `p99 ${ms(iroh.p99Ms)} ms`;
  const stab = `stability ${pct(st.stability)} %`;
  const limitMs = `${t.raftMessageP99Ms} ms`;
  const limitPct = `${pct(t.electionStability)} %`;
  const p99Ok = iroh.p99Ms < t.raftMessageP99Ms;
  const stabOk = st.stability > t.electionStability;
  if (p99Ok && stabOk)
    return {
      ...base,
      outcome: 'may-move',
      statement: `Raft may move to Iroh: ${p99} < ${limitMs}, ${stab} > ${limitPct}`,
    };
  const why = [
    ...(p99Ok ? [] : [`${p99} ≥ ${limitMs}`]),
    ...(stabOk ? [] : [`${stab} ≤ ${limitPct} (${st.elections} elections outside faults)`]),
  ];
  return { ...base, outcome: 'may-not-move', statement: `Raft may not move to Iroh: ${why.join(', ')}` };
}

/** Fault windows (chaos/report's), restarts and rolling mode changes from their start, each followed by the grace; merged. */
export function exclusions(events: readonly RunEvent[], endMs: number, graceMs: number): Span[] {
  const spans: Span[] = faultWindows(events, endMs).map((w) => ({ start: w.start, end: w.end + graceMs }));
  // A scheduled op's `at` is on the schedule's clock, which starts with the workload.
  const t0 = events.find((e) => e.kind === 'workload-start')?.t;
  for (const e of events) {
    if (e.kind !== 'restart' && e.kind !== 'mode-change') continue;
    const steps = (e.detail?.steps ?? []) as { ms?: number }[];
    const began =
      e.at !== undefined && t0 !== undefined ? t0 + e.at : e.t - steps.reduce((n, x) => n + (x.ms ?? 0), 0);
    spans.push({ start: Math.min(began, e.t), end: e.t + graceMs });
  }
  spans.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const s of spans) {
    const last = merged.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged;
}

const overlaps = (a: number, b: number, spans: readonly Span[]) =>
  spans.some((w) => a < w.end && b > w.start);

/**
 * Election stability: the sampled timeline cut at every sample; a cut's view is the leader and the
 * highest term of the nodes whose last sample answered within `freshMs` (no leader when they name
 * different ones or none). An interval between two cuts outside the exclusions counts as stable when
 * both views name the same leader in the same term.
 */
function stability(samples: readonly RaftSampled[], excluded: readonly Span[], freshMs: number) {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const last = new Map<string, RaftSampled>();
  let prev: { t: number; leader: string; term: number } | undefined;
  let observedMs = 0;
  let stableMs = 0;
  let elections = 0;
  for (const s of sorted) {
    last.set(s.node, s);
    const live = [...last.values()].filter((x) => x.ok && x.raft && s.t - x.t <= freshMs);
    if (live.length === 0) continue;
    const leaders = new Set(live.map((x) => x.raft?.leader ?? ''));
    const term = Math.max(...live.map((x) => x.raft?.term ?? 0));
    const view = { t: s.t, leader: leaders.size === 1 ? [...leaders][0] || '' : '', term };
    if (prev && view.t > prev.t && !overlaps(prev.t, view.t, excluded)) {
      observedMs += view.t - prev.t;
      if (view.term > prev.term) elections += 1;
      else if (prev.leader !== '' && view.leader === prev.leader) stableMs += view.t - prev.t;
    }
    prev = view;
  }
  return { stability: observedMs > 0 ? stableMs / observedMs : null, elections, observedMs };
}

type Hist = Map<number, number>;

/** Per transport: the message histogram's bucket counts summed over peers, from one sample. */
function histograms(prom: string): Map<string, Hist> {
  const out = new Map<string, Hist>();
  for (const x of parseProm(prom)) {
    if (x.name !== 'blixard_raft_message_duration_seconds_bucket') continue;
    const tr = x.labels.transport ?? 'unknown';
    const le = x.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(x.labels.le);
    const h = out.get(tr) ?? new Map<number, number>();
    h.set(le, (h.get(le) ?? 0) + x.value);
    out.set(tr, h);
  }
  return out;
}

/** Raft message figures per transport: bucket increases between consecutive samples of a node (a decrease is a restart: that pair is skipped). */
function messageFigures(
  samples: readonly MetricsSampled[],
  excluded: readonly Span[],
): { transports: TransportFigures[]; all: TransportFigures } {
  const quiet = new Map<string, Hist>();
  const whole = new Map<string, Hist>();
  const byNode = new Map<string, MetricsSampled[]>();
  for (const s of [...samples].sort((a, b) => a.t - b.t))
    byNode.set(s.node, [...(byNode.get(s.node) ?? []), s]);
  for (const list of byNode.values()) {
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as MetricsSampled;
      const b = list[i] as MetricsSampled;
      const ha = histograms(a.prom ?? '');
      const hb = histograms(b.prom ?? '');
      const delta = new Map<string, Hist>();
      let reset = false;
      for (const [tr, h] of hb) {
        const d = new Map<number, number>();
        for (const [le, n] of h) {
          const diff = n - (ha.get(tr)?.get(le) ?? 0);
          if (diff < 0) reset = true;
          d.set(le, diff);
        }
        delta.set(tr, d);
      }
      if (reset) continue;
      const into = [whole, ...(overlaps(a.t, b.t, excluded) ? [] : [quiet])];
      for (const acc of into) for (const [tr, d] of delta) acc.set(tr, add(acc.get(tr) ?? new Map(), d));
    }
  }
  const figures = (transport: string, q: Hist | undefined, w: Hist | undefined): TransportFigures => ({
    transport,
    messages: q?.get(Number.POSITIVE_INFINITY) ?? 0,
    p50Ms: quantileMs(q, 0.5),
    p95Ms: quantileMs(q, 0.95),
    p99Ms: quantileMs(q, 0.99),
    wholeRunP99Ms: quantileMs(w, 0.99),
  });
  const transports = [...new Set([...whole.keys(), ...quiet.keys()])].sort();
  return {
    transports: transports.map((t) => figures(t, quiet.get(t), whole.get(t))),
    all: figures('all', merged(quiet.values()), merged(whole.values())),
  };
}

/** Adds `from`'s bucket counts into `into`; returns `into`. */
function add(into: Hist, from: Hist): Hist {
  for (const [le, n] of from) into.set(le, (into.get(le) ?? 0) + n);
  return into;
}

function merged(hists: Iterable<Hist>): Hist | undefined {
  let out: Hist | undefined;
  for (const h of hists) out = add(out ?? new Map(), h);
  return out;
}

function quantileMs(h: Hist | undefined, q: number): number | null {
  if (!h) return null;
  const bounds = [...h.keys()].sort((a, b) => a - b);
  const v = histogramQuantile(
    bounds,
    bounds.map((b) => h.get(b) ?? 0),
    q,
  );
  return v === null ? null : v * 1000;
}

function ms(x: number): string {
  return x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** A share as a percentage with the digits that matter around 99.9 %. */
function pct(share: number): string {
  return String(Number((share * 100).toFixed(3)));
}
