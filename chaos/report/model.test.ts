import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, type HistoryEntry } from '../../scenarios/checkers/index.ts';
import type { RunEvent } from '../record/index.ts';
import {
  buildReportModel,
  histogramQuantile,
  isMissing,
  parseProm,
  type RaftSample,
  type RunFiles,
  readRunFiles,
  renderReport,
} from './index.ts';

/** A real recorded run (docker, dual mode, leader isolated then peer latency; metrics cut to Raft's). */
const FIXTURE = join(import.meta.dirname, 'testdata', 'run-20261130-052107-938f');

function ok<T>(p: T | { missing: string } | undefined): T {
  if (p === undefined || isMissing(p)) throw new Error(`panel missing: ${JSON.stringify(p)}`);
  return p as T;
}

function metric(files: RunFiles, node: string, name: string): number {
  const found = parseProm(files.metrics[node] ?? '').find((x) => x.name === name);
  if (!found) throw new Error(`${node}: no ${name}`);
  return found.value;
}

describe('buildReportModel on a real run', async () => {
  const files = await readRunFiles(FIXTURE);
  const m = buildReportModel(files);

  it('names the run, its seed and verdict', () => {
    expect(m.id).toBe('run-20261130-052107-938f');
    expect(m.title).toBe('leader isolated under writes');
    expect(m.seed).toBe(7);
    expect(m.status).toBe('pass');
  });

  it('finds the fault windows: a link fault lasts until the next heal', () => {
    expect(m.faultWindows).toEqual([
      { start: 44.18, end: 48.072, label: 'partition leader n3' },
      { start: 49.107, end: 51.094, label: 'latency 100 ms ±10 (peers)' },
    ]);
    const tl = ok(m.timeline);
    expect(tl.items.filter((i) => i.kind === 'fault').map((i) => [i.start, i.end])).toEqual([
      [44.18, 48.072],
      [49.107, 51.094],
    ]);
    expect(tl.items.find((i) => i.kind === 'workload')).toMatchObject({ start: 42.068, end: 54.084 });
    // Node events: n2 wins the election the partition of n3 forced.
    expect(tl.items.filter((i) => i.kind === 'leader' && i.start > 44).map((i) => i.label)).toEqual([
      'n2 leads (term 4)',
    ]);
  });

  it("counts every completed op once in the throughput buckets, per transport, as the workload's summary does", () => {
    const tp = ok(m.throughput);
    const width = (tp.x[1] as number) - (tp.x[0] as number);
    const total = (label: string) =>
      Math.round(
        (tp.series.find((x) => x.label === label)?.values ?? []).reduce<number>((a, v) => a + (v ?? 0), 0) *
          width,
      );
    const verdict = files.verdict as { workload: { byTransport: Record<string, Record<string, number>> } };
    const byTransport = verdict.workload.byTransport;
    for (const tr of ['grpc', 'iroh']) {
      const w = byTransport[tr] as Record<string, number>;
      expect(total(`${tr} ok/s`)).toBe(w.ok);
      expect(total(`${tr} fail+info/s`)).toBe((w.fail as number) + (w.info as number));
    }
  });

  it('puts each latency quantile between the fastest and slowest ok op of that transport, p50 <= p99', () => {
    const lat = ok(m.latency);
    expect(lat.series.map((x) => x.label)).toEqual(['grpc p50', 'grpc p99', 'iroh p50', 'iroh p99']);
    for (const tr of ['grpc', 'iroh']) {
      const inv = new Map<number, (typeof files.history)[number]>();
      const l: number[] = [];
      for (const h of files.history) {
        if (h.type === 'invoke') inv.set(h.id, h);
        else if (h.type === 'ok' && inv.get(h.id)?.transport === tr)
          l.push(h.time - (inv.get(h.id)?.time ?? h.time));
      }
      const p50 = lat.series.find((x) => x.label === `${tr} p50`)?.values ?? [];
      const p99 = lat.series.find((x) => x.label === `${tr} p99`)?.values ?? [];
      expect(p50.filter((v) => v !== null).length).toBeGreaterThan(10);
      p50.forEach((v, i) => {
        if (v === null) {
          expect(p99[i]).toBeNull();
          return;
        }
        expect(v).toBeGreaterThanOrEqual(Math.floor(Math.min(...l)));
        expect(v).toBeLessThanOrEqual(p99[i] as number);
        expect(p99[i]).toBeLessThanOrEqual(Math.ceil(Math.max(...l)));
      });
    }
  });

  it("takes term and leader from the nodes' logs when there is no samples.jsonl, and they agree with the metrics at the end", () => {
    const term = ok(m.term);
    expect(term.note).toMatch(/no samples\.jsonl in this run; from the nodes' "raft role" log lines/);
    for (const s of term.series) {
      expect(s.values[s.values.length - 1]).toBe(metric(files, s.label, 'blixard_raft_term'));
    }
    const leaders = ok(m.leaders);
    const last = Math.max(...leaders.items.filter((i) => i.kind === 'leader').map((i) => i.end ?? 0));
    const leaderAtEnd = leaders.items.filter((i) => i.kind === 'leader' && i.end === last).map((i) => i.lane);
    const byMetric = ['n1', 'n2', 'n3'].filter((n) => metric(files, n, 'blixard_raft_is_leader') === 1);
    expect(leaderAtEnd).toEqual(byMetric);
  });

  it('sums the Raft message histograms of every node per transport', () => {
    const rm = ok(m.raftMessages);
    let count = 0;
    for (const n of ['n1', 'n2', 'n3'])
      for (const x of parseProm(files.metrics[n] ?? ''))
        if (x.name === 'blixard_raft_message_duration_seconds_count') count += x.value;
    expect(rm.quantiles.reduce((a, q) => a + q.count, 0)).toBe(count);
    for (const s of rm.series)
      expect(s.values.reduce<number>((a, v) => a + (v ?? 0), 0)).toBe(
        rm.quantiles.find((q) => q.transport === s.label)?.count,
      );
    const q = rm.quantiles[0] as { p50: number; p99: number };
    expect(q.p50).toBeGreaterThan(0);
    expect(q.p50).toBeLessThanOrEqual(q.p99);
  });

  it("shows today's verdict as checkers: linearizability and the nemesis", () => {
    expect(ok(m.checkers).map((c) => [c.name, c.valid])).toEqual([
      ['linearizability', true],
      ['nemesis', true],
    ]);
    expect(m.linearizability).toBeUndefined();
  });

  it('is the same model every time (deterministic)', async () => {
    expect(buildReportModel(await readRunFiles(FIXTURE))).toEqual(m);
  });
});

describe('buildReportModel on other inputs', async () => {
  const real = await readRunFiles(FIXTURE);

  it('prefers samples.jsonl for term and leader when the run has it', () => {
    const samples: RaftSample[] = [
      {
        t: 1000,
        node: 'n1',
        kind: 'raft',
        term: 5,
        role: 'leader',
        leaderId: 'n1',
        commitIndex: 1,
        appliedIndex: 1,
      },
      {
        t: 1000,
        node: 'n2',
        kind: 'raft',
        term: 5,
        role: 'follower',
        leaderId: 'n1',
        commitIndex: 1,
        appliedIndex: 1,
      },
      {
        t: 2000,
        node: 'n1',
        kind: 'raft',
        term: 6,
        role: 'follower',
        leaderId: 'n2',
        commitIndex: 2,
        appliedIndex: 2,
      },
      {
        t: 2000,
        node: 'n2',
        kind: 'raft',
        term: 6,
        role: 'leader',
        leaderId: 'n2',
        commitIndex: 2,
        appliedIndex: 2,
      },
    ];
    const m = buildReportModel({ ...real, samples });
    const term = ok(m.term);
    expect(term.note).toBe('samples.jsonl: 4 GetRaftStatus samples');
    expect(term.series.find((s) => s.label === 'n2')?.values.slice(0, 3)).toEqual([null, 5, 6]);
    const bars = ok(m.leaders).items.map((i) => [i.lane, i.start, i.end, i.kind]);
    expect(bars).toEqual([
      ['n1', 1, 2, 'leader'],
      ['n2', 2, m.duration, 'leader'],
    ]);
  });

  it('draws node faults until the node starts again, and a rolling mode change with its steps', () => {
    const ev = (seq: number, t: number, kind: RunEvent['kind'], op?: object, detail?: object): RunEvent =>
      ({
        seq,
        t,
        wall: new Date(Date.parse('2026-11-30T05:21:07.285Z') + t).toISOString(),
        kind,
        op,
        detail,
      }) as RunEvent;
    const events: RunEvent[] = [
      ev(0, 0, 'run-start', undefined, { incident: 'x', seed: 1 }),
      ev(1, 1000, 'fault', { do: 'kill', node: 'n2' }, { node: 'n2' }),
      ev(2, 1500, 'fault', { do: 'pause', node: 'n3' }, { node: 'n3' }),
      ev(3, 2000, 'heal', { do: 'resume', node: 'n3' }, { node: 'n3', healthy: true }),
      ev(4, 3000, 'restart', { do: 'start', node: 'n2' }, { node: 'n2', healthy: true }),
      ev(5, 5000, 'restart', { do: 'mode-change', mode: 'iroh' }, { node: 'n3', mode: 'iroh', from: 'dual' }),
      ev(6, 6000, 'restart', { do: 'mode-change', mode: 'iroh' }, { node: 'n1', mode: 'iroh', from: 'dual' }),
      ev(
        7,
        6000,
        'mode-change',
        { do: 'mode-change', mode: 'iroh' },
        {
          nodes: ['n3', 'n1'],
          mode: 'iroh',
          steps: [
            { node: 'n3', from: 'dual', ms: 1500 },
            { node: 'n1', from: 'dual', ms: 1000 },
          ],
        },
      ),
      ev(8, 7000, 'run-end', undefined, { status: 'pass' }),
    ];
    const m = buildReportModel({ ...real, events });
    expect(m.faultWindows).toEqual([
      { start: 1, end: 3, label: 'kill n2' },
      { start: 1.5, end: 2, label: 'pause n3' },
    ]);
    const tl = ok(m.timeline);
    const rows = (kind: string) =>
      tl.items.filter((i) => i.kind === kind).map((i) => [i.lane, i.start, i.end, i.label]);
    expect(rows('node-fault')).toEqual([
      ['n2', 1, 3, 'kill n2'],
      ['n3', 1.5, 2, 'pause n3'],
    ]);
    expect(rows('restart')).toEqual([['n2', 3, undefined, 'start n2']]);
    expect(rows('rollout')).toEqual([
      ['rollout', 5, undefined, 'n3 restarted in iroh mode'],
      ['rollout', 6, undefined, 'n1 restarted in iroh mode'],
      ['rollout', 3.5, 6, 'mode → iroh'],
    ]);
    expect(tl.lanes.slice(0, 2)).toEqual(['run', 'rollout']);
  });

  it('says a panel is not recorded rather than leaving it empty', () => {
    const m = buildReportModel({ ...real, logs: {}, metrics: {}, samples: undefined, verdict: undefined });
    expect(m.term).toEqual({
      missing: 'no samples.jsonl in this run and the node logs have no "raft role" lines',
    });
    expect(m.raftMessages).toEqual({ missing: 'no metrics/*.prom snapshot in this run' });
    expect(m.checkers).toEqual({ missing: 'the run left no verdict.json' });
    expect(m.status).toBe('no verdict');
    const none = buildReportModel({ ...real, history: [] });
    expect(none.latency).toEqual({ missing: 'history.jsonl has no completed operation' });
  });

  it('renders verdict.checkers when present, each with its evidence', () => {
    const checkers = [
      { name: 'linearizability', valid: true, explanation: 'fine', evidence: { keys: 3 } },
      { name: 'elle', valid: 'unknown', explanation: 'budget spent', evidence: null },
    ];
    const m = buildReportModel({ ...real, verdict: { status: 'pass', checkers } });
    expect(m.checkers).toEqual([
      { name: 'linearizability', valid: true, explanation: 'fine', evidence: { keys: 3 } },
      { name: 'elle', valid: 'unknown', explanation: 'budget spent', evidence: null },
    ]);
  });

  it("marks the checkers outside an incident's checks as advisory", () => {
    const checkers = [
      {
        name: 'leadership: a follower’s restart elects nobody',
        valid: true,
        explanation: 'n1 led on',
        evidence: [],
      },
      {
        name: 'raft: terms never decrease',
        valid: false,
        explanation: "n3's term went from 1 to 0",
        evidence: [],
        advisory: true,
      },
    ];
    const m = buildReportModel({ ...real, verdict: { status: 'pass', checkers } });
    expect(ok(m.checkers).map((c) => [c.name, c.advisory ?? false])).toEqual([
      ['leadership: a follower’s restart elects nobody', false],
      ['raft: terms never decrease', true],
    ]);
    const html = renderReport(m, { js: '', css: '' });
    expect(html).toMatch(
      /data-checker="raft: terms never decrease" data-valid="false" data-advisory="true">/,
    );
    expect(html).not.toMatch(/data-checker="leadership[^>]*data-advisory/);
  });

  it("shows the run's Raft decision in the verdict, when the run made one", () => {
    const statement = 'Raft may move to Iroh: p99 4.60 ms < 10 ms, stability 100 % > 99.9 %';
    const m = buildReportModel({ ...real, verdict: { status: 'pass', raftDecision: { statement } } });
    expect(m.raftDecision).toBe(statement);
    const html = renderReport(m, { js: '', css: '' });
    expect(html).toContain(
      `<p data-raft-decision>${statement.replace('<', '&#60;').replace('>', '&#62;')}</p>`,
    );
    expect(buildReportModel({ ...real, verdict: { status: 'pass' } }).raftDecision).toBeUndefined();
  });
});

/** A key whose read sees a value nobody wrote, with concurrent and unrelated ops around it. */
function brokenHistory(): HistoryEntry[] {
  const e = (
    id: number,
    process: number,
    type: HistoryEntry['type'],
    f: HistoryEntry['f'],
    time: number,
    value?: string,
    key = 'k1',
  ): HistoryEntry => ({ id, process, type, f, key, value, node: 'n1', transport: 'grpc', time });
  return [
    e(1, 0, 'invoke', 'write', 100, 'a'),
    e(1, 0, 'ok', 'write', 200, 'a'),
    e(9, 3, 'invoke', 'write', 150, 'z', 'k2'),
    e(9, 3, 'ok', 'write', 160, 'z', 'k2'),
    e(2, 1, 'invoke', 'write', 300, 'b'),
    e(3, 2, 'invoke', 'read', 320),
    e(2, 1, 'ok', 'write', 400, 'b'),
    e(3, 2, 'ok', 'read', 410, 'c'),
    e(4, 0, 'invoke', 'read', 5000),
    e(4, 0, 'ok', 'read', 5100, 'b'),
  ];
}

describe('the failed linearizability panel', async () => {
  const real = await readRunFiles(FIXTURE);
  const history = brokenHistory();
  const lin = checkLinearizable(history);

  it("draws the failing key's ops concurrent with the op no order can place", () => {
    expect(lin.valid).toBe(false);
    const m = buildReportModel({
      ...real,
      history,
      verdict: { status: 'fail', linearizable: false, explanation: lin.explanation, nemesisErrors: [] },
    });
    const p = ok(m.linearizability);
    expect(p.key).toBe('k1');
    expect(p.ops.map((o) => [o.id, o.process, o.state])).toEqual([
      [2, 1, 'linearized'],
      [3, 2, 'stuck'],
    ]);
    expect(p.window).toEqual({ start: 0.3, end: 0.41 });
    expect(p.source).toMatch(/ops concurrent with op 3/);
  });

  it("uses the checker's counterexample ops when the verdict carries them", () => {
    const m = buildReportModel({
      ...real,
      history,
      verdict: {
        status: 'fail',
        checkers: [
          {
            name: 'linearizability',
            valid: false,
            explanation: 'no order',
            evidence: { key: 'k1', ops: [1, 2, 3] },
          },
        ],
      },
    });
    const p = ok(m.linearizability);
    expect(p.ops.map((o) => o.id)).toEqual([1, 2, 3]);
    expect(p.processes).toEqual([0, 1, 2]);
    expect(p.source).toBe("the checker's counterexample (3 ops)");
  });
});

describe('histogramQuantile', () => {
  it("interpolates within the bucket the rank falls in, as Prometheus' histogram_quantile", () => {
    const bounds = [0.01, 0.1, Number.POSITIVE_INFINITY];
    expect(histogramQuantile(bounds, [50, 100, 100], 0.5)).toBeCloseTo(0.01);
    expect(histogramQuantile(bounds, [0, 100, 100], 0.5)).toBeCloseTo(0.055);
    expect(histogramQuantile(bounds, [0, 0, 10], 0.5)).toBeCloseTo(0.1);
    expect(histogramQuantile(bounds, [0, 0, 0], 0.5)).toBeNull();
  });
});
