import { describe, expect, it } from 'vitest';
import { MIGRATION_THRESHOLDS } from '../../dashboards/index.ts';
import {
  type CellResult,
  cellDecision,
  PROFILES,
  RAFT_TRANSPORTS,
  renderTable,
  strategyFor,
} from './matrix.ts';

describe('lab evaluate raft: the matrix', () => {
  it('covers the asked profiles and transports, changing only Raft between columns', () => {
    expect(PROFILES.map((p) => p.name)).toEqual([
      'none',
      'wan 50±10ms',
      'loss 1%',
      'loss 5%',
      'partition flaps',
    ]);
    expect(RAFT_TRANSPORTS).toEqual(['grpc', 'iroh', 'adaptive']);
    expect(strategyFor('adaptive').raftTransport).toEqual({
      adaptive: { latencyThresholdMs: MIGRATION_THRESHOLDS.raftMessageP99Ms },
    });
    const { raftTransport: _a, ...grpc } = strategyFor('grpc');
    const { raftTransport: _b, ...iroh } = strategyFor('iroh');
    expect(grpc).toEqual(iroh);
  });

  it('applies the decision rule to each cell, naming what failed', () => {
    expect(cellDecision('iroh', 3.2, 1)).toBe('Raft may move to Iroh');
    expect(cellDecision('adaptive', 3.2, 0.9995)).toBe('Raft may move to Iroh');
    expect(cellDecision('iroh', 52, 1)).toBe('may not move: p99 52.0 ≥ 10 ms');
    expect(cellDecision('iroh', 10, 0.99)).toBe('may not move: p99 10.0 ≥ 10 ms, stability 99 ≤ 99.9 %');
    expect(cellDecision('grpc', 1, 1)).toBe('meets the rule (baseline)');
    expect(cellDecision('grpc', 1, 0.999)).toBe('baseline fails: stability 99.9 ≤ 99.9 %');
    expect(cellDecision('iroh', null, 1)).toBe('no decision (no Raft messages or samples)');
  });

  it('renders every cell as a table row with its notes', () => {
    const cell: CellResult = {
      profile: 'loss 1%',
      raft: 'iroh',
      commitMs: { p50: 4.21, p95: 9.5, p99: 31.2 },
      commitsPerSecond: 412.4,
      failedWrites: 0,
      messageMs: { p50: 1.5, p95: 6, p99: 12.25 },
      messages: 900,
      irohShare: 1,
      elections: 0,
      stability: 1,
      recoveryMs: 1234.5,
      decision: 'may not move: p99 12.3 ≥ 10 ms',
      notes: ['loss acts on UDP (Iroh) only'],
    };
    const text = renderTable([
      cell,
      { ...cell, raft: 'grpc', irohShare: 0, messageMs: { p50: null, p95: null, p99: null } },
    ]);
    expect(text).toContain('4.21 / 9.50 / 31.2');
    expect(text).toContain('1.50 / 6.00 / 12.3');
    expect(text).toContain('— / — / —');
    expect(text).toContain('1235');
    expect(text).toContain('100 %');
    expect(text.match(/note: loss 1%: loss acts on UDP \(Iroh\) only/g)).toHaveLength(1);
  });
});
