/**
 * A run's report model (pure): what runs/<id>/ recorded — events, history, verdict, node logs,
 * metrics snapshots, Raft samples — turned into the panels the report draws. Times are seconds since
 * the run started. A panel whose source the run did not record is `{ missing: why }`, never empty.
 */
import {
  checkOperations,
  operationsOf,
  type RegisterOp,
  registerModel,
} from '../../scenarios/checkers/index.ts';
import type { LoadRecord } from '../../scenarios/load/index.ts';
import { registerOps, type WorkloadEntry } from '../../scenarios/workloads/index.ts';
import type { RunEvent } from '../record/index.ts';

/** One periodic GetRaftStatus sample (samples.jsonl). */
export interface RaftSample {
  /** ms since the run started. */
  t: number;
  node: string;
  kind: 'raft';
  term: number;
  role: string;
  leaderId: string;
  commitIndex: number;
  appliedIndex: number;
}

/** Everything the report reads from a run directory (see `readRunFiles`). */
export interface RunFiles {
  id: string;
  events: RunEvent[];
  /** Every workload's ops (register ops in their own format; the others name their workload). */
  history: WorkloadEntry[];
  /** verdict.json as written (undefined when the run left none). */
  verdict: Record<string, unknown> | undefined;
  incidentName?: string | undefined;
  seed?: number | undefined;
  /** logs/<node>.log text by node id. */
  logs: Record<string, string>;
  /** metrics/<node>.prom text by node id. */
  metrics: Record<string, string>;
  /** samples.jsonl lines with kind 'raft' (undefined when the run has no samples.jsonl). */
  samples?: RaftSample[] | undefined;
  /** load-*.json: what `lab load` recorded against this lab (scenarios/load). */
  loads?: LoadRecord[] | undefined;
}

export type Missing = { missing: string };
export const isMissing = (p: unknown): p is Missing =>
  typeof p === 'object' && p !== null && 'missing' in p && typeof (p as Missing).missing === 'string';

/** A bar (end set) or a mark (end undefined) on one lane of a lane chart. */
export interface LaneItem {
  lane: string;
  start: number;
  end?: number | undefined;
  label: string;
  /** Picks the colour: fault, node-fault, heal, restart, rollout, workload, check, leader, candidate. */
  kind: string;
}

export interface LanePanel {
  lanes: string[];
  items: LaneItem[];
}

export interface Series {
  label: string;
  /** One value per x; null where there is none. */
  values: (number | null)[];
  /** Draw as a step line (state that holds until it changes). */
  step?: boolean | undefined;
}

export interface SeriesPanel {
  x: number[];
  series: Series[];
  unit: string;
  /** Where the data came from, shown under the chart. */
  note: string;
}

export interface Window {
  start: number;
  end: number;
  label: string;
}

export interface HistogramPanel {
  /** Bucket upper bounds in ms (the last is +Inf as null). */
  bounds: (number | null)[];
  /** Per transport: ops in each bucket (not cumulative). */
  series: Series[];
  quantiles: { transport: string; count: number; p50: number | null; p99: number | null; meanMs: number }[];
  note: string;
}

export interface CheckerView {
  name: string;
  valid: boolean | 'unknown';
  explanation: string;
  evidence?: unknown;
  /** Outside the incident's `checks:`: shown, not deciding the verdict. */
  advisory?: boolean;
}

export interface OpBar {
  id: number;
  process: number;
  label: string;
  call: number;
  /** null: unknown outcome (drawn to the window's end). */
  ret: number | null;
  /** stuck: no order places it; linearized: in the longest valid order; other. */
  state: 'stuck' | 'linearized' | 'other';
}

export interface LinearizabilityPanel {
  key: string;
  source: string;
  window: { start: number; end: number };
  processes: number[];
  ops: OpBar[];
}

export interface ReportModel {
  id: string;
  title: string;
  seed?: number | undefined;
  status: string;
  reason?: string | undefined;
  startedAt?: string | undefined;
  /** Seconds from run start to run end. */
  duration: number;
  faultWindows: Window[];
  timeline: LanePanel | Missing;
  latency: SeriesPanel | Missing;
  throughput: SeriesPanel | Missing;
  term: SeriesPanel | Missing;
  leaders: LanePanel | Missing;
  raftMessages: HistogramPanel | Missing;
  checkers: CheckerView[] | Missing;
  linearizability?: LinearizabilityPanel | Missing | undefined;
  /** Only when the run has load files (`lab load` against a lab): `withLoadPanels` (load-panels.ts). */
  loadThroughput?: SeriesPanel | Missing | undefined;
  loadLatency?: SeriesPanel | Missing | undefined;
  /** The migration's Raft decision on this run (verdict.raftDecision.statement), when the run made one. */
  raftDecision?: string | undefined;
  verdict: Record<string, unknown> | undefined;
}

const s = (ms: number) => Math.round(ms) / 1000;
const LINK_FAULTS = new Set(['partition', 'latency', 'loss', 'bandwidth', 'toxic']);
const NODE_FAULTS = new Set(['kill', 'stop', 'pause']);

function opOf(e: RunEvent): Record<string, unknown> {
  return (e.op ?? {}) as Record<string, unknown>;
}

function describe(e: RunEvent): string {
  const op = opOf(e);
  const d = e.detail ?? {};
  switch (op.do) {
    case 'partition':
      return `partition ${op.kind}${typeof d.node === 'string' ? ` ${d.node}` : ''}`;
    case 'latency':
      return `latency ${op.ms} ms ±${op.jitter ?? 0} (${op.links ?? 'all'})`;
    case 'loss':
      return `loss ${op.probability}`;
    case 'bandwidth':
      return `bandwidth ${op.rate} KB/s`;
    case 'toxic':
      return `toxic ${(op.toxic as { type?: string } | undefined)?.type ?? ''}`;
    case 'mode-change':
      return `mode → ${op.mode}`;
    default:
      return typeof op.do === 'string' ? `${op.do} ${d.node ?? op.node ?? ''}`.trim() : e.kind;
  }
}

function runEnd(files: RunFiles): number {
  const ts = [
    ...files.events.map((e) => e.t),
    ...files.history.map((h) => h.time),
    ...(files.samples ?? []).map((x) => x.t),
  ];
  return ts.length > 0 ? Math.max(...ts) : 0;
}

/** Fault windows (ms): a link fault lasts until the next heal; a node fault until its node starts or resumes. */
export function faultWindows(events: readonly RunEvent[], endMs: number): (Window & { node?: string })[] {
  const out: (Window & { node?: string })[] = [];
  const openLink: { start: number; label: string }[] = [];
  const openNode = new Map<string, { start: number; label: string }>();
  for (const e of events) {
    const op = opOf(e);
    const node = (e.detail?.node ?? op.node) as string | undefined;
    if (e.kind === 'fault' && LINK_FAULTS.has(op.do as string))
      openLink.push({ start: e.t, label: describe(e) });
    else if (e.kind === 'fault' && NODE_FAULTS.has(op.do as string) && node)
      openNode.set(node, { start: e.t, label: describe(e) });
    else if (e.kind === 'heal' && node && openNode.has(node)) {
      const o = openNode.get(node) as { start: number; label: string };
      out.push({ start: o.start, end: e.t, label: o.label, node });
      openNode.delete(node);
    } else if (e.kind === 'heal') {
      for (const o of openLink.splice(0)) out.push({ start: o.start, end: e.t, label: o.label });
    } else if (e.kind === 'restart' && node && openNode.has(node)) {
      const o = openNode.get(node) as { start: number; label: string };
      out.push({ start: o.start, end: e.t, label: o.label, node });
      openNode.delete(node);
    }
  }
  for (const o of openLink) out.push({ start: o.start, end: endMs, label: o.label });
  for (const [node, o] of openNode) out.push({ start: o.start, end: endMs, label: o.label, node });
  return out.sort((a, b) => a.start - b.start);
}

function timeline(files: RunFiles, endMs: number, nodes: string[]): LanePanel | Missing {
  if (files.events.length === 0) return { missing: 'events.jsonl has no events' };
  const items: LaneItem[] = [];
  for (const w of faultWindows(files.events, endMs)) {
    items.push({
      lane: w.node ?? 'faults',
      start: s(w.start),
      end: s(w.end),
      label: w.label,
      kind: w.node ? 'node-fault' : 'fault',
    });
  }
  let workloadStart: number | undefined;
  for (const e of files.events) {
    const op = opOf(e);
    const node = (e.detail?.node ?? op.node) as string | undefined;
    switch (e.kind) {
      case 'self-check':
        items.push({
          lane: 'run',
          start: s(e.t),
          label: `self-check ${e.detail?.ok === false ? 'failed' : 'passed'}`,
          kind: 'check',
        });
        break;
      case 'workload-start':
        workloadStart = e.t;
        break;
      case 'workload-end':
        items.push({
          lane: 'run',
          start: s(workloadStart ?? 0),
          end: s(e.t),
          label: 'workload',
          kind: 'workload',
        });
        workloadStart = undefined;
        break;
      case 'heal':
        items.push({
          lane: node ?? 'faults',
          start: s(e.t),
          label: node ? `resume ${node}` : 'heal',
          kind: 'heal',
        });
        break;
      case 'restart':
        if (op.do === 'mode-change' || (op.do === undefined && e.detail?.mode !== undefined))
          items.push({
            lane: 'rollout',
            start: s(e.t),
            label: `${node} restarted in ${e.detail?.mode} mode`,
            kind: 'rollout',
          });
        else
          items.push({
            lane: node ?? 'faults',
            start: s(e.t),
            label: `${op.do ?? 'start'} ${node}`,
            kind: 'restart',
          });
        break;
      case 'mode-change': {
        const steps = (e.detail?.steps ?? []) as { ms?: number }[];
        const took = steps.reduce((a, x) => a + (x.ms ?? 0), 0);
        items.push({
          lane: 'rollout',
          start: s(e.t - took),
          end: s(e.t),
          label: describe(e),
          kind: 'rollout',
        });
        break;
      }
      case 'rollout-step':
      case 'rollout-breach':
      case 'rollout-rollback':
      case 'rollout':
        items.push({ lane: 'rollout', start: s(e.t), label: rolloutLabel(e), kind: 'rollout' });
        break;
      case 'nemesis-error':
        items.push({
          lane: 'faults',
          start: s(e.t),
          label: `nemesis error: ${e.detail?.error ?? ''}`,
          kind: 'error',
        });
        break;
      case 'run-end':
        items.push({
          lane: 'run',
          start: s(e.t),
          label: `run end: ${e.detail?.status ?? ''}`,
          kind: 'check',
        });
        break;
    }
  }
  if (workloadStart !== undefined)
    items.push({ lane: 'run', start: s(workloadStart), end: s(endMs), label: 'workload', kind: 'workload' });
  const used = new Set(items.map((i) => i.lane));
  const lanes = ['run', 'faults', 'rollout', ...nodes].filter((l) => used.has(l));
  for (const l of used) if (!lanes.includes(l)) lanes.push(l);
  return { lanes, items };
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** Width of the time buckets: about 60 over the run, at least 250 ms, rounded to 250 ms. */
export function bucketMs(spanMs: number): number {
  return Math.max(250, Math.round(spanMs / 60 / 250) * 250);
}

interface Completed {
  transport: string;
  type: string;
  call: number;
  ret: number;
}

function completed(history: readonly WorkloadEntry[]): Completed[] {
  const open = new Map<number, WorkloadEntry>();
  const out: Completed[] = [];
  for (const h of history) {
    if (h.type === 'invoke') open.set(h.id, h);
    else {
      const inv = open.get(h.id);
      if (!inv) continue;
      open.delete(h.id);
      out.push({ transport: inv.transport, type: h.type, call: inv.time, ret: h.time });
    }
  }
  return out;
}

function perTransport(history: readonly WorkloadEntry[]): {
  latency: SeriesPanel | Missing;
  throughput: SeriesPanel | Missing;
} {
  const ops = completed(history);
  if (ops.length === 0) {
    const why = { missing: 'history.jsonl has no completed operation' };
    return { latency: why, throughput: why };
  }
  const t0 = Math.min(...ops.map((o) => o.ret));
  const t1 = Math.max(...ops.map((o) => o.ret));
  const width = bucketMs(t1 - t0);
  const first = Math.floor(t0 / width);
  const n = Math.floor(t1 / width) - first + 1;
  const x = Array.from({ length: n }, (_, i) => s((first + i) * width + width / 2));
  const transports = [...new Set(ops.map((o) => o.transport))].sort();
  const latency: Series[] = [];
  const throughput: Series[] = [];
  for (const tr of transports) {
    const lat: number[][] = Array.from({ length: n }, () => []);
    const ok = new Array<number>(n).fill(0);
    const bad = new Array<number>(n).fill(0);
    for (const o of ops) {
      if (o.transport !== tr) continue;
      const b = Math.floor(o.ret / width) - first;
      if (o.type === 'ok') {
        ok[b] = (ok[b] as number) + 1;
        (lat[b] as number[]).push(o.ret - o.call);
      } else bad[b] = (bad[b] as number) + 1;
    }
    const q = (p: number) =>
      lat.map((l) =>
        l.length === 0
          ? null
          : Math.round(
              quantile(
                [...l].sort((a, b) => a - b),
                p,
              ) * 10,
            ) / 10,
      );
    latency.push({ label: `${tr} p50`, values: q(0.5) }, { label: `${tr} p99`, values: q(0.99) });
    const perS = (c: number[]) => c.map((v) => Math.round((v * 1000) / width));
    throughput.push(
      { label: `${tr} ok/s`, values: perS(ok) },
      { label: `${tr} fail+info/s`, values: perS(bad) },
    );
  }
  const note = `history.jsonl: invoke → completion of ${ops.length} ops, in ${width} ms buckets by completion time`;
  return {
    latency: { x, series: latency, unit: 'ms', note: `${note} (ok ops only)` },
    throughput: { x, series: throughput, unit: 'ops/s', note },
  };
}

interface RoleChange {
  t: number;
  node: string;
  role: string;
  leader: string;
  term: number;
}

/** "raft role" lines of the node logs, on the run's clock (wall time less the run's start). */
export function roleChangesFromLogs(files: RunFiles): RoleChange[] {
  const start = files.events.find((e) => e.kind === 'run-start');
  if (!start) return [];
  const origin = Date.parse(start.wall) - start.t;
  const out: RoleChange[] = [];
  for (const [node, text] of Object.entries(files.logs)) {
    for (const line of text.split('\n')) {
      if (!line.includes('"raft role"')) continue;
      let j: Record<string, unknown>;
      try {
        j = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof j.t !== 'string' || typeof j.term !== 'number' || typeof j.role !== 'string') continue;
      out.push({
        t: Date.parse(j.t) - origin,
        node: typeof j.node === 'string' ? j.node : node,
        role: j.role,
        leader: typeof j.leader === 'string' ? j.leader : '',
        term: j.term,
      });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

function raftPanels(
  files: RunFiles,
  nodes: string[],
  endMs: number,
): { term: SeriesPanel | Missing; leaders: LanePanel | Missing; changes: RoleChange[] } {
  let changes: RoleChange[];
  let note: string;
  const samples = files.samples?.filter((x) => x.kind === 'raft') ?? [];
  if (samples.length > 0) {
    changes = samples
      .map((x) => ({ t: x.t, node: x.node, role: x.role, leader: x.leaderId, term: x.term }))
      .sort((a, b) => a.t - b.t);
    note = `samples.jsonl: ${samples.length} GetRaftStatus samples`;
  } else {
    changes = roleChangesFromLogs(files);
    note = `${files.samples === undefined ? 'no samples.jsonl in this run; ' : 'samples.jsonl has no raft samples; '}from the nodes' "raft role" log lines (${changes.length} changes)`;
  }
  if (changes.length === 0) {
    const why = {
      missing: `${files.samples === undefined ? 'no samples.jsonl in this run' : 'samples.jsonl has no raft samples'} and the node logs have no "raft role" lines`,
    };
    return { term: why, leaders: why, changes };
  }
  const ids = [...new Set([...nodes, ...changes.map((c) => c.node)])].sort();
  // State at the run's start carries over from before it; everything is clipped to [0, end].
  const times = [...new Set([0, ...changes.map((c) => Math.max(0, c.t)), endMs])].sort((a, b) => a - b);
  const x = times.map(s);
  const series: Series[] = ids.map((id) => {
    let cur: number | null = null;
    let i = 0;
    const mine = changes.filter((c) => c.node === id);
    return {
      label: id,
      step: true,
      values: times.map((t) => {
        while (i < mine.length && Math.max(0, (mine[i] as RoleChange).t) <= t)
          cur = (mine[i++] as RoleChange).term;
        return cur;
      }),
    };
  });
  const items: LaneItem[] = [];
  for (const id of ids) {
    const mine = changes.filter((c) => c.node === id);
    for (let i = 0; i < mine.length; i++) {
      const c = mine[i] as RoleChange;
      const next = mine[i + 1];
      if (c.role !== 'leader' && c.role !== 'candidate' && c.role !== 'pre-candidate') continue;
      const start = Math.max(0, c.t);
      const end = Math.min(endMs, next ? next.t : endMs);
      if (end < 0 || end < start) continue;
      // Consecutive samples in the same role make one bar.
      const last = items[items.length - 1];
      if (
        last &&
        last.lane === id &&
        last.kind === roleKind(c.role) &&
        last.end !== undefined &&
        last.end >= s(start)
      ) {
        last.end = s(end);
        continue;
      }
      items.push({
        lane: id,
        start: s(start),
        end: s(end),
        label: `${c.role} term ${c.term}`,
        kind: roleKind(c.role),
      });
    }
  }
  return {
    term: { x, series, unit: 'term', note },
    leaders: items.length > 0 ? { lanes: ids, items } : { missing: `no node led during the run (${note})` },
    changes,
  };
}

/** A node event on its lane: the moment it became leader. */
function addElections(tl: LanePanel, changes: readonly RoleChange[], endMs: number): void {
  const was = new Map<string, string>();
  for (const c of changes) {
    const before = was.get(c.node);
    was.set(c.node, c.role);
    if (c.role !== 'leader' || before === 'leader' || c.t < 0 || c.t > endMs) continue;
    if (!tl.lanes.includes(c.node)) tl.lanes.push(c.node);
    tl.items.push({ lane: c.node, start: s(c.t), label: `${c.node} leads (term ${c.term})`, kind: 'leader' });
  }
}

function roleKind(role: string): string {
  return role === 'leader' ? 'leader' : 'candidate';
}

interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseProm(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** As Prometheus' histogram_quantile: linear within the bucket the rank falls in. */
export function histogramQuantile(
  bounds: readonly number[],
  cumulative: readonly number[],
  q: number,
): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  for (let i = 0; i < cumulative.length; i++) {
    if ((cumulative[i] as number) >= rank) {
      const upper = bounds[i] as number;
      if (!Number.isFinite(upper)) return (bounds[i - 1] as number | undefined) ?? null;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const below = i === 0 ? 0 : (cumulative[i - 1] as number);
      const inBucket = (cumulative[i] as number) - below;
      return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return null;
}

const RAFT_MSG = 'blixard_raft_message_duration_seconds';

function raftMessages(files: RunFiles): HistogramPanel | Missing {
  const nodes = Object.keys(files.metrics).sort();
  if (nodes.length === 0) return { missing: 'no metrics/*.prom snapshot in this run' };
  const byTransport = new Map<string, { buckets: Map<number, number>; sum: number; count: number }>();
  for (const node of nodes) {
    for (const x of parseProm(files.metrics[node] as string)) {
      if (!x.name.startsWith(RAFT_MSG)) continue;
      const tr = x.labels.transport ?? 'unknown';
      const acc = byTransport.get(tr) ?? { buckets: new Map(), sum: 0, count: 0 };
      byTransport.set(tr, acc);
      if (x.name === `${RAFT_MSG}_bucket`) {
        const le = x.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(x.labels.le);
        acc.buckets.set(le, (acc.buckets.get(le) ?? 0) + x.value);
      } else if (x.name === `${RAFT_MSG}_sum`) acc.sum += x.value;
      else if (x.name === `${RAFT_MSG}_count`) acc.count += x.value;
    }
  }
  const transports = [...byTransport.keys()].filter((t) => (byTransport.get(t)?.count ?? 0) > 0).sort();
  if (transports.length === 0)
    return { missing: `the metrics snapshots (${nodes.join(', ')}) have no ${RAFT_MSG} observations` };
  const bounds = [
    ...new Set(transports.flatMap((t) => [...(byTransport.get(t)?.buckets.keys() ?? [])])),
  ].sort((a, b) => a - b);
  const series: Series[] = [];
  const quantiles: HistogramPanel['quantiles'] = [];
  for (const tr of transports) {
    const acc = byTransport.get(tr) as { buckets: Map<number, number>; sum: number; count: number };
    const cum = bounds.map((b) => acc.buckets.get(b) ?? 0);
    series.push({ label: tr, values: cum.map((c, i) => c - (i === 0 ? 0 : (cum[i - 1] as number))) });
    const ms = (v: number | null) => (v === null ? null : Math.round(v * 1e4) / 10);
    quantiles.push({
      transport: tr,
      count: acc.count,
      p50: ms(histogramQuantile(bounds, cum, 0.5)),
      p99: ms(histogramQuantile(bounds, cum, 0.99)),
      meanMs: Math.round((acc.sum / acc.count) * 1e4) / 10,
    });
  }
  return {
    bounds: bounds.map((b) => (Number.isFinite(b) ? Math.round(b * 1e6) / 1e3 : null)),
    series,
    quantiles,
    note: `metrics/{${nodes.join(',')}}.prom at the run's end: ${RAFT_MSG} (SendRaftMessage round trips), every node and peer summed per transport`,
  };
}

function raftDecisionOf(verdict: Record<string, unknown> | undefined): string | undefined {
  const d = verdict?.raftDecision as { statement?: unknown } | undefined;
  return typeof d?.statement === 'string' ? d.statement : undefined;
}

function checkers(verdict: Record<string, unknown> | undefined): CheckerView[] | Missing {
  if (!verdict) return { missing: 'the run left no verdict.json' };
  const list = verdict.checkers;
  if (Array.isArray(list) && list.length > 0) {
    return list.map((c: Record<string, unknown>) => ({
      name: String(c.name ?? '?'),
      valid: c.valid === true || c.valid === false ? c.valid : 'unknown',
      explanation: String(c.explanation ?? ''),
      evidence: c.evidence,
      ...(c.advisory === true && { advisory: true }),
    }));
  }
  const out: CheckerView[] = [];
  if (verdict.linearizable !== undefined) {
    const v = verdict.linearizable;
    out.push({
      name: 'linearizability',
      valid: v === true || v === false ? v : 'unknown',
      explanation:
        typeof verdict.explanation === 'string'
          ? verdict.explanation
          : v === true
            ? 'every key has a linearization of its ok and info ops'
            : 'the search gave up before proving or refuting',
      evidence: verdict.workload,
    });
  }
  const errs = verdict.nemesisErrors;
  if (Array.isArray(errs))
    out.push({
      name: 'nemesis',
      valid: errs.length === 0,
      explanation:
        errs.length === 0 ? 'every scheduled fault applied' : `${errs.length} nemesis op(s) failed`,
      evidence: errs.length > 0 ? errs : undefined,
    });
  if (out.length === 0)
    return { missing: `verdict.json has no checker result (status ${verdict.status ?? '?'})` };
  return out;
}

const MAX_BARS = 80;

/**
 * The ops around the point no order can pass (Porcupine's view): a counterexample window's ops when
 * the checker carries them (evidence.ops: op ids, or evidence.window: [start, end] ms), else the
 * failing key's ops around the op the search got stuck at.
 */
function linearizability(
  files: RunFiles,
  list: CheckerView[] | Missing,
): LinearizabilityPanel | Missing | undefined {
  const failed = isMissing(list)
    ? undefined
    : list.find((c) => c.valid === false && /lineari[sz]/i.test(c.name));
  if (!failed) return undefined;
  const ev = (failed.evidence ?? {}) as Record<string, unknown>;
  const keyFromText = /key '([^']+)'/.exec(failed.explanation)?.[1];
  const key = typeof ev.key === 'string' ? ev.key : keyFromText;
  let ops: RegisterOp[];
  try {
    // The register ops as the linearizability checker saw them (a failed CAS's value as a read).
    ops = operationsOf(registerOps(files.history));
  } catch (err) {
    return { missing: `history.jsonl cannot be paired: ${(err as Error).message}` };
  }
  const ids = Array.isArray(ev.ops)
    ? new Set(ev.ops.map((o: unknown) => (typeof o === 'number' ? o : (o as { id?: number }).id)))
    : undefined;
  const keyOps = key ? ops.filter((o) => o.key === key) : [];
  let chosen: RegisterOp[];
  let source: string;
  let stuck: RegisterOp | undefined;
  let prefix = new Set<number>();
  if (ids && ids.size > 0) {
    chosen = ops.filter((o) => ids.has(o.id));
    source = `the checker's counterexample (${chosen.length} ops)`;
  } else {
    if (keyOps.length === 0)
      return { missing: `the failing key is not named in the verdict (${failed.explanation})` };
    const cx = checkOperations(registerModel, keyOps).partitions.find((p) => p.key === key)?.counterexample;
    stuck = cx ? keyOps.find((o) => o.id === cx.breaking.id) : undefined;
    prefix = new Set((cx?.longestPrefix ?? []).map((o) => o.id));
    let lo: number;
    let hi: number;
    if (Array.isArray(ev.window) && ev.window.length === 2) {
      [lo, hi] = ev.window as [number, number];
      source = `key '${key}' in the checker's window`;
    } else if (stuck) {
      // The stuck op and everything concurrent with it, widened by the ops those overlap.
      const st = stuck;
      const end = (o: RegisterOp) => (Number.isFinite(o.ret) ? o.ret : Math.max(o.call, st.call));
      // Ops of unknown outcome are open to the end and would stretch the window back to their
      // invoke: only completed ones widen it (the others are drawn from the window's start).
      const concurrent = keyOps.filter(
        (o) => o.call <= end(st) && end(o) >= st.call && Number.isFinite(o.ret),
      );
      lo = Math.min(st.call, ...concurrent.map((o) => o.call));
      hi = Math.max(end(st), ...concurrent.map(end));
      source = `key '${key}': the ops concurrent with op ${stuck.id}, the one no order can place`;
    } else {
      lo = Math.min(...keyOps.map((o) => o.call));
      hi = Math.max(...keyOps.map((o) => (Number.isFinite(o.ret) ? o.ret : o.call)));
      source = `key '${key}'`;
    }
    chosen = keyOps.filter((o) => o.call <= hi && (o.ret >= lo || !Number.isFinite(o.ret)));
  }
  if (chosen.length > MAX_BARS) {
    const pivot = stuck?.call ?? (chosen[0] as RegisterOp).call;
    chosen = [...chosen]
      .sort((a, b) => Math.abs(a.call - pivot) - Math.abs(b.call - pivot))
      .slice(0, MAX_BARS);
    source += ` (the ${MAX_BARS} nearest)`;
  }
  if (chosen.length === 0) return { missing: `no ops of ${source}` };
  const finite = chosen.filter((o) => Number.isFinite(o.ret));
  const start = Math.min(...(finite.length > 0 ? finite : chosen).map((o) => o.call));
  const end = Math.max(...chosen.map((o) => (Number.isFinite(o.ret) ? o.ret : o.call)));
  const bars = chosen
    .sort((a, b) => a.call - b.call)
    .map(
      (o): OpBar => ({
        id: o.id,
        process: o.process,
        label: registerModel.describeOperation(o),
        call: s(Math.max(o.call, start)),
        ret: Number.isFinite(o.ret) ? s(o.ret) : null,
        state: stuck?.id === o.id ? 'stuck' : prefix.has(o.id) ? 'linearized' : 'other',
      }),
    );
  return {
    key: key ?? '(counterexample)',
    source,
    window: { start: s(start), end: s(end) },
    processes: [...new Set(bars.map((b) => b.process))].sort((a, b) => a - b),
    ops: bars,
  };
}

export function buildReportModel(files: RunFiles): ReportModel {
  const endMs = runEnd(files);
  const nodes = [
    ...new Set([
      ...Object.keys(files.logs),
      ...Object.keys(files.metrics),
      ...files.history.map((h) => h.node),
    ]),
  ].sort();
  const start = files.events.find((e) => e.kind === 'run-start');
  const { latency, throughput } = perTransport(files.history);
  const { term, leaders, changes } = raftPanels(files, nodes, endMs);
  const tl = timeline(files, endMs, nodes);
  if (!isMissing(tl)) addElections(tl, changes, endMs);
  const list = checkers(files.verdict);
  const v = files.verdict;
  return {
    id: files.id,
    title:
      files.incidentName ?? (typeof start?.detail?.incident === 'string' ? start.detail.incident : files.id),
    seed: files.seed ?? (typeof start?.detail?.seed === 'number' ? start.detail.seed : undefined),
    status: typeof v?.status === 'string' ? v.status : 'no verdict',
    reason: typeof v?.reason === 'string' ? v.reason : undefined,
    startedAt: start?.wall,
    duration: s(endMs),
    faultWindows: faultWindows(files.events, endMs).map((w) => ({
      start: s(w.start),
      end: s(w.end),
      label: w.label,
    })),
    timeline: tl,
    latency,
    throughput,
    term,
    leaders,
    raftMessages: raftMessages(files),
    checkers: list,
    linearizability: linearizability(files, list),
    raftDecision: raftDecisionOf(v),
    verdict: v,
  };
}

/** A rollout event in a few words: a step and its gates, a breach, a rollback, how the rollout ended. */
function rolloutLabel(e: { kind: string; detail?: Record<string, unknown> | undefined }): string {
  const d = e.detail ?? {};
  const reasons = (d.reasons as string[] | undefined)?.join('; ') ?? '';
  if (e.kind === 'rollout-step') return `step ${d.step}: ${d.ok ? 'gates passed' : 'gate breached'}`;
  if (e.kind === 'rollout-breach') return `step ${d.step} breached: ${reasons}`;
  if (e.kind === 'rollout-rollback') return `rolled back from ${d.from} to ${d.to}`;
  return `rollout ${d.rollout}: ${d.outcome} (at ${d.at})`;
}
