/**
 * Gate evaluation, pure: a watch window's metrics scrapes (every node's /metrics, sampled through the
 * window) reduced to figures — calls, errors and p99 per service group and transport on both sides
 * (served, and made to peers), Raft message p99 per transport, the fallback rate, election stability —
 * and each figure held against the step's gates.
 */
import { groupOfPath } from '../../node/transport/index.ts';
import { histogramQuantile, parseProm } from '../report/index.ts';
import type { Gates } from './file.ts';

/** One scrape of one node: its /metrics text, or why there is none. */
export interface Scrape {
  node: string;
  /** ms on the run's clock. */
  t: number;
  text?: string | undefined;
  error?: string | undefined;
}

/** Status codes that count as a failed call (the peer or the path failed, not the request). */
export const FAILURE_CODES = new Set(['2', '4', '13', '14']);

export interface CallFigure {
  side: 'server' | 'client';
  group: string;
  transport: string;
  calls: number;
  errors: number;
  p99Ms: number | null;
}

export interface WindowFigures {
  calls: CallFigure[];
  raft: { transport: string; messages: number; p99Ms: number | null }[];
  fallbacks: number;
  /** Outgoing calls to peers over both transports (the fallback rate's denominator). */
  outgoing: number;
  /** Sample rounds with exactly one leader and every node's term as in the round before. */
  stable: number;
  rounds: number;
  /** Nodes without a scrape at the window's start or end (their counters are not in the figures). */
  silent: string[];
}

export interface GateResult {
  gate: keyof Omit<Gates, 'min_calls'>;
  /** What was measured: e.g. `client vm_ops over iroh`. */
  subject: string;
  value: number;
  limit: number;
  ok: boolean;
  /** How many observations the value rests on. */
  count: number;
}

/** Below this a p99 is noise for a ratio (sub-millisecond calls on an idle path). */
const RATIO_FLOOR_MS = 50;

const SERVER = 'blixard_rpc_server_duration_seconds';
const CLIENT = 'blixard_rpc_client_duration_seconds';
const RAFT = 'blixard_raft_message_duration_seconds';
const FALLBACKS = 'blixard_transport_fallbacks_total';

interface Histo {
  count: number;
  errors: number;
  buckets: Map<number, number>;
}

/** Counter sums of one scrape, keyed by series. */
function reduce(text: string): Map<string, Histo> {
  const out = new Map<string, Histo>();
  const at = (key: string) => {
    let h = out.get(key);
    if (!h) {
      h = { count: 0, errors: 0, buckets: new Map() };
      out.set(key, h);
    }
    return h;
  };
  for (const s of parseProm(text)) {
    const l = s.labels;
    for (const [name, side] of [
      [SERVER, 'server'],
      [CLIENT, 'client'],
    ] as const) {
      if (!s.name.startsWith(name)) continue;
      const group = groupOfPath(`${l.service}/${l.method}`) ?? 'unknown';
      const h = at(`${side}|${group}|${l.transport}`);
      if (s.name === `${name}_count`) {
        h.count += s.value;
        if (FAILURE_CODES.has(l.code ?? '')) h.errors += s.value;
      } else if (s.name === `${name}_bucket`) {
        const le = l.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(l.le);
        h.buckets.set(le, (h.buckets.get(le) ?? 0) + s.value);
      }
    }
    if (s.name === `${RAFT}_count`) at(`raft|${l.transport}`).count += s.value;
    else if (s.name === `${RAFT}_bucket`) {
      const h = at(`raft|${l.transport}`);
      const le = l.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(l.le);
      h.buckets.set(le, (h.buckets.get(le) ?? 0) + s.value);
    } else if (s.name === FALLBACKS) at('fallbacks').count += s.value;
  }
  return out;
}

/** end − start, series by series; a counter that went down (a restart) counts from zero. */
function delta(start: Map<string, Histo>, end: Map<string, Histo>): Map<string, Histo> {
  const out = new Map<string, Histo>();
  for (const [key, e] of end) {
    const s = start.get(key);
    const reset = s !== undefined && e.count < s.count;
    const base = reset || !s ? { count: 0, errors: 0, buckets: new Map<number, number>() } : s;
    const buckets = new Map<number, number>();
    for (const [le, n] of e.buckets) buckets.set(le, n - (base.buckets.get(le) ?? 0));
    out.set(key, { count: e.count - base.count, errors: e.errors - base.errors, buckets });
  }
  return out;
}

function p99Ms(buckets: Map<number, number>): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const q = histogramQuantile(
    bounds,
    bounds.map((b) => buckets.get(b) ?? 0),
    0.99,
  );
  return q === null ? null : Math.round(q * 1e4) / 10;
}

/** Leader and term of one scrape (undefined when the node was silent). */
function raftView(text: string | undefined): { leader: boolean; term: number } | undefined {
  if (text === undefined) return undefined;
  let leader = false;
  let term = Number.NaN;
  for (const s of parseProm(text)) {
    if (s.name === 'blixard_raft_is_leader') leader = s.value === 1;
    else if (s.name === 'blixard_raft_term') term = s.value;
  }
  return Number.isNaN(term) ? undefined : { leader, term };
}

/** The window's figures from its rounds of scrapes (each round: one scrape per node). */
export function windowFigures(rounds: readonly (readonly Scrape[])[]): WindowFigures {
  const first = rounds[0] ?? [];
  const last = rounds.at(-1) ?? [];
  const nodes = [...new Set(rounds.flat().map((s) => s.node))].sort();
  const total = new Map<string, Histo>();
  const silent: string[] = [];
  for (const node of nodes) {
    const a = first.find((s) => s.node === node)?.text;
    const b = last.find((s) => s.node === node)?.text;
    if (a === undefined || b === undefined || rounds.length < 2) {
      silent.push(node);
      continue;
    }
    for (const [key, h] of delta(reduce(a), reduce(b))) {
      const acc = total.get(key) ?? { count: 0, errors: 0, buckets: new Map<number, number>() };
      acc.count += h.count;
      acc.errors += h.errors;
      for (const [le, n] of h.buckets) acc.buckets.set(le, (acc.buckets.get(le) ?? 0) + n);
      total.set(key, acc);
    }
  }
  const calls: CallFigure[] = [];
  const raft: WindowFigures['raft'] = [];
  let outgoing = 0;
  for (const [key, h] of [...total].sort(([a], [b]) => a.localeCompare(b))) {
    const [kind, x, y] = key.split('|');
    if (kind === 'server' || kind === 'client') {
      calls.push({
        side: kind,
        group: x as string,
        transport: y as string,
        calls: h.count,
        errors: h.errors,
        p99Ms: p99Ms(h.buckets),
      });
      if (kind === 'client') outgoing += h.count;
    } else if (kind === 'raft')
      raft.push({ transport: x as string, messages: h.count, p99Ms: p99Ms(h.buckets) });
  }
  // Stability: one leader among the nodes that answered, and no node's term moved since the last round.
  let stable = 0;
  let previous = new Map<string, number>();
  for (const round of rounds) {
    const views = round.map((s) => [s.node, raftView(s.text)] as const);
    const terms = new Map(views.flatMap(([n, v]) => (v ? [[n, v.term] as const] : [])));
    const leaders = views.filter(([, v]) => v?.leader).length;
    const termsHeld = [...terms].every(([n, t]) => !previous.has(n) || previous.get(n) === t);
    if (leaders === 1 && termsHeld) stable += 1;
    previous = terms;
  }
  return {
    calls,
    raft,
    fallbacks: total.get('fallbacks')?.count ?? 0,
    outgoing,
    stable,
    rounds: rounds.length,
    silent,
  };
}

/** Every gate the step sets, held against the window's figures. */
export function evaluateGates(gates: Gates, f: WindowFigures): GateResult[] {
  const out: GateResult[] = [];
  const min = gates.min_calls;
  for (const c of f.calls) {
    if (c.calls < min) continue;
    const subject = `${c.side} ${c.group} over ${c.transport}`;
    if (gates.error_rate !== undefined) {
      const value = c.errors / c.calls;
      out.push({
        gate: 'error_rate',
        subject,
        value,
        limit: gates.error_rate,
        ok: value <= gates.error_rate,
        count: c.calls,
      });
    }
    if (gates.p99 !== undefined && c.p99Ms !== null)
      out.push({
        gate: 'p99',
        subject,
        value: c.p99Ms,
        limit: gates.p99,
        ok: c.p99Ms <= gates.p99,
        count: c.calls,
      });
  }
  if (gates.raft_p99 !== undefined) {
    for (const r of f.raft) {
      if (r.messages < min || r.p99Ms === null) continue;
      out.push({
        gate: 'raft_p99',
        subject: `raft messages over ${r.transport}`,
        value: r.p99Ms,
        limit: gates.raft_p99,
        ok: r.p99Ms <= gates.raft_p99,
        count: r.messages,
      });
    }
  }
  if (gates.iroh_p99_ratio !== undefined) {
    const ratio = gates.iroh_p99_ratio;
    const judged = (x: { p99Ms: number | null; n: number }) => x.p99Ms !== null && x.n >= min;
    const pairs = [
      ...f.calls.map((c) => ({
        subject: `${c.side} ${c.group}`,
        transport: c.transport,
        p99Ms: c.p99Ms,
        n: c.calls,
      })),
      ...f.raft.map((r) => ({
        subject: 'raft messages',
        transport: r.transport,
        p99Ms: r.p99Ms,
        n: r.messages,
      })),
    ];
    for (const iroh of pairs.filter((p) => p.transport === 'iroh' && judged(p))) {
      const grpc = pairs.find((p) => p.transport === 'grpc' && p.subject === iroh.subject && judged(p));
      if (!grpc) continue;
      const value = (iroh.p99Ms as number) / Math.max(grpc.p99Ms as number, RATIO_FLOOR_MS);
      out.push({
        gate: 'iroh_p99_ratio',
        subject: `${iroh.subject}: p99 over iroh ${iroh.p99Ms} ms, over grpc ${grpc.p99Ms} ms`,
        value,
        limit: ratio,
        ok: value <= ratio,
        count: iroh.n,
      });
    }
  }
  if (gates.fallback_rate !== undefined && f.outgoing >= min) {
    const value = f.fallbacks / f.outgoing;
    out.push({
      gate: 'fallback_rate',
      subject: 'calls to peers',
      value,
      limit: gates.fallback_rate,
      ok: value <= gates.fallback_rate,
      count: f.outgoing,
    });
  }
  if (gates.election_stability !== undefined && f.rounds > 0) {
    const value = f.stable / f.rounds;
    out.push({
      gate: 'election_stability',
      subject: 'sample rounds with one leader and no term change',
      value,
      limit: gates.election_stability,
      ok: value >= gates.election_stability,
      count: f.rounds,
    });
  }
  return out;
}

/** A breach in words, for events, the verdict and the CLI. */
export function describeBreach(g: GateResult): string {
  const fmt = (v: number) =>
    g.gate === 'p99' || g.gate === 'raft_p99'
      ? `${v.toFixed(1)} ms`
      : g.gate === 'iroh_p99_ratio'
        ? `${v.toFixed(2)}×`
        : `${(v * 100).toFixed(2)} %`;
  const rel = g.gate === 'election_stability' ? '<' : '>';
  return `${g.gate}: ${g.subject} ${fmt(g.value)} ${rel} ${fmt(g.limit)} (${g.count} observed)`;
}
