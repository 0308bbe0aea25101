import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../record/index.ts';
import { decideRaft, exclusions } from './raft-decision.ts';

const BOUNDS = ['0.001', '0.005', '0.01', '0.025', '0.05', '+Inf'];
const NODES = ['n1', 'n2', 'n3'];

/** Exposition lines of one node: `perBucket[i]` messages that took at most BOUNDS[i] (not cumulative). */
function prom(transport: string, perBucket: readonly number[]): string {
  let cum = 0;
  return BOUNDS.map((le, i) => {
    cum += perBucket[i] ?? 0;
    return `blixard_raft_message_duration_seconds_bucket{transport="${transport}",peer="x",le="${le}"} ${cum}`;
  }).join('\n');
}

/** Every node sampled every 250 ms for `ms`, naming `leader(t)` in `term(t)`. */
function raftSamples(ms: number, leader: (t: number) => string, term: (t: number) => number) {
  const out = [];
  for (let t = 0; t <= ms; t += 250)
    for (const node of NODES)
      out.push({ kind: 'raft', t, node, ok: true, raft: { term: term(t), leader: leader(t) } });
  return out;
}

/** Metrics every 2 s per node; each interval adds `perInterval(t)` messages per bucket on `transport`. */
function metricSamples(ms: number, transport: string, perInterval: (t: number) => number[]) {
  const out = [];
  for (const node of NODES) {
    const acc = BOUNDS.map(() => 0);
    for (let t = 0; t <= ms; t += 2000) {
      if (t > 0) for (const [i, n] of perInterval(t).entries()) acc[i] = (acc[i] ?? 0) + n;
      out.push({ kind: 'metrics', t, node, ok: true, prom: prom(transport, acc) });
    }
  }
  return out;
}

const event = (t: number, kind: RunEvent['kind'], op?: Record<string, unknown>): RunEvent =>
  ({ seq: 0, t, wall: '', kind, ...(op && { op }) }) as RunEvent;

describe('decideRaft', () => {
  it('lets Raft move to Iroh when its p99 is under 10 ms and one leader held the whole time', () => {
    const samples = [
      ...raftSamples(
        20_000,
        () => 'n1',
        () => 3,
      ),
      ...metricSamples(20_000, 'iroh', () => [90, 10, 0, 0, 0, 0]),
    ];
    const d = decideRaft(samples, []);
    expect(d.outcome).toBe('may-move');
    expect(d.stability).toBe(1);
    expect(d.elections).toBe(0);
    const iroh = d.transports.find((f) => f.transport === 'iroh');
    expect(iroh?.messages).toBe(3 * 10 * 100);
    expect(iroh?.p99Ms).toBeCloseTo(4.6, 5); // rank 0.99 in the (1, 5] ms bucket
    expect(iroh?.p95Ms).toBeCloseTo(3, 5);
    expect(d.all).toEqual({ ...iroh, transport: 'all' });
    expect(d.statement).toBe('Raft may move to Iroh: p99 4.60 ms < 10 ms, stability 100 % > 99.9 %');
  });

  it('keeps Raft on gRPC when the Iroh p99 is 10 ms or more', () => {
    const samples = [
      ...raftSamples(
        20_000,
        () => 'n1',
        () => 3,
      ),
      ...metricSamples(20_000, 'iroh', () => [0, 50, 40, 10, 0, 0]),
    ];
    const d = decideRaft(samples, []);
    expect(d.outcome).toBe('may-not-move');
    expect(d.statement).toMatch(/^Raft may not move to Iroh: p99 23\.5 ms ≥ 10 ms$/);
  });

  it('counts an election outside the fault windows against stability, and ignores one inside', () => {
    const leader = (t: number) => (t < 10_000 ? 'n1' : t < 10_500 ? '' : 'n2');
    const term = (t: number) => (t < 10_000 ? 3 : 4);
    const samples = [
      ...raftSamples(20_000, leader, term),
      ...metricSamples(20_000, 'iroh', () => [100, 0, 0, 0, 0, 0]),
    ];
    const bare = decideRaft(samples, []);
    expect(bare.elections).toBe(1);
    expect(bare.stability).toBeCloseTo((20_000 - 750) / 20_000, 6);
    expect(bare.outcome).toBe('may-not-move');
    expect(bare.statement).toContain('stability 96.25 % ≤ 99.9 % (1 elections outside faults)');

    const killed = [
      event(9_800, 'fault', { do: 'kill', node: 'n1' }),
      event(10_200, 'restart', { do: 'start', node: 'n1' }),
    ];
    const faulted = decideRaft(samples, killed);
    expect(faulted.elections).toBe(0);
    expect(faulted.stability).toBe(1);
    expect(faulted.outcome).toBe('may-move');
  });

  it('takes message latency only between samples outside the fault windows', () => {
    // Slow (25–50 ms) messages only in the interval ending at 10 s, under a latency fault from 8.5 s to 9.5 s.
    const samples = [
      ...raftSamples(
        20_000,
        () => 'n1',
        () => 3,
      ),
      ...metricSamples(20_000, 'iroh', (t) => (t === 10_000 ? [0, 0, 0, 0, 100, 0] : [100, 0, 0, 0, 0, 0])),
    ];
    const faults = [event(8_500, 'fault', { do: 'latency' }), event(9_500, 'heal', { do: 'heal' })];
    const d = decideRaft(samples, faults);
    const iroh = d.transports.find((f) => f.transport === 'iroh');
    expect(iroh?.p99Ms).toBeLessThan(1);
    expect(iroh?.wholeRunP99Ms).toBeGreaterThan(25);
    expect(d.outcome).toBe('may-move');
    expect(decideRaft(samples, []).outcome).toBe('may-not-move');
  });

  it('adds every transport into `all` (an adaptive Raft uses both)', () => {
    // One /metrics text per node and time, with both transports' series in it.
    const iroh = metricSamples(10_000, 'iroh', () => [0, 0, 0, 100, 0, 0]);
    const both = metricSamples(10_000, 'grpc', () => [100, 0, 0, 0, 0, 0]).map((s, i) => ({
      ...s,
      prom: `${s.prom}\n${iroh[i]?.prom}`,
    }));
    const samples = [
      ...raftSamples(
        10_000,
        () => 'n1',
        () => 3,
      ),
      ...both,
    ];
    const d = decideRaft(samples, []);
    expect(d.transports.map((f) => [f.transport, f.messages])).toEqual([
      ['grpc', 1500],
      ['iroh', 1500],
    ]);
    expect(d.all.messages).toBe(3000);
    expect(d.all.p50Ms).toBeCloseTo(1, 5);
    expect(d.all.p99Ms).toBeCloseTo(24.7, 5);
  });

  it('skips the pair of samples across a restart (counters start again from zero)', () => {
    // n2 restarts between 2 s and 4 s: its counters read 5 at 4 s and 105 at 6 s.
    const restarted = (t: number) => prom('iroh', [t === 4000 ? 5 : 105, 0, 0, 0, 0, 0]);
    const samples = metricSamples(6_000, 'iroh', () => [100, 0, 0, 0, 0, 0]).map((s) =>
      s.node === 'n2' && s.t >= 4000 ? { ...s, prom: restarted(s.t) } : s,
    );
    const d = decideRaft(
      [
        ...raftSamples(
          6_000,
          () => 'n1',
          () => 1,
        ),
        ...samples,
      ],
      [],
    );
    const iroh = d.transports.find((f) => f.transport === 'iroh');
    // n1 and n3: 3 intervals of 100; n2: 100 before the restart, 100 after it, the pair across it skipped.
    expect(iroh?.messages).toBe(2 * 300 + 100 + 100);
  });

  it('has no decision when Raft never used Iroh, or nothing was sampled outside faults', () => {
    const grpc = [
      ...raftSamples(
        10_000,
        () => 'n1',
        () => 2,
      ),
      ...metricSamples(10_000, 'grpc', () => [100, 0, 0, 0, 0, 0]),
    ];
    const d = decideRaft(grpc, []);
    expect(d.outcome).toBe('undecided');
    expect(d.statement).toBe(
      'No decision: no Raft message went over Iroh outside fault windows (Raft ran over grpc)',
    );
    const all = decideRaft(grpc, [event(0, 'fault', { do: 'partition' })]);
    expect(all.statement).toBe('No decision: no Raft sample outside fault windows');
  });
});

describe('exclusions', () => {
  it('merges fault windows, restarts and mode changes from their start, each with the grace after it', () => {
    const events = [
      event(500, 'workload-start'),
      event(1000, 'fault', { do: 'partition' }),
      event(2000, 'heal', { do: 'heal' }),
      // Scheduled at 1.7 s on the workload's clock (2.2 s on the run's), done at 2.5 s.
      { ...event(2500, 'mode-change', { do: 'mode-change' }), at: 1700 },
      event(9000, 'restart', { do: 'restart', node: 'n1' }),
      // From the command line (no schedule): it began the steps' time before it was recorded.
      {
        ...event(15_000, 'mode-change', { do: 'mode-change' }),
        detail: { steps: [{ ms: 1500 }, { ms: 1000 }] },
      },
    ];
    expect(exclusions(events, 20_000, 1000)).toEqual([
      { start: 1000, end: 3500 },
      { start: 9000, end: 10_000 },
      { start: 12_500, end: 16_000 },
    ]);
  });
});
