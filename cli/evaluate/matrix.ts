/**
 * `lab evaluate raft`'s matrix, as data: the network profiles, the Raft transports, what one cell
 * measures, the decision rule applied to each cell, and the table. Pure; evaluate.ts runs it.
 */
import Table from 'cli-table3';
import type { NemesisOpInput } from '../../chaos/nemesis/index.ts';
import { MIGRATION_THRESHOLDS, type MigrationThresholds, raftRuleHolds } from '../../dashboards/index.ts';
import type { MigrationStrategy } from '../../node/transport/index.ts';

export interface NetworkProfile {
  name: string;
  /** What is put on every peer link (both transports where the toxic exists) for the whole cell. */
  ops: NemesisOpInput[];
  /** Partition flaps: a node cut off from its peers for `downMs`, then healed for `upMs`, nodes in turn. */
  flaps?: { downMs: number; upMs: number } | undefined;
  /** What the profile cannot do, said beside its figures. */
  note?: string | undefined;
}

export const PROFILES: readonly NetworkProfile[] = [
  { name: 'none', ops: [] },
  { name: 'wan 50±10ms', ops: [{ do: 'latency', ms: 50, jitter: 10, links: 'peers' }] },
  {
    name: 'loss 1%',
    ops: [{ do: 'loss', probability: 0.01, links: 'peers' }],
    note: 'loss acts on UDP (Iroh) only: Toxiproxy has no loss toxic for TCP',
  },
  {
    name: 'loss 5%',
    ops: [{ do: 'loss', probability: 0.05, links: 'peers' }],
    note: 'loss acts on UDP (Iroh) only: Toxiproxy has no loss toxic for TCP',
  },
  { name: 'partition flaps', ops: [], flaps: { downMs: 1000, upMs: 2000 } },
];

export const RAFT_TRANSPORTS = ['grpc', 'iroh', 'adaptive'] as const;
export type RaftTransportName = (typeof RAFT_TRANSPORTS)[number];

/** The cluster's strategy for a cell: only Raft's transport changes between columns. */
export function strategyFor(
  raft: RaftTransportName,
  t: MigrationThresholds = MIGRATION_THRESHOLDS,
): MigrationStrategy {
  return {
    preferIroh: ['health', 'status'],
    raftTransport: raft === 'adaptive' ? { adaptive: { latencyThresholdMs: t.raftMessageP99Ms } } : raft,
    fallbackToGrpc: true,
  };
}

export interface EvaluateTiming {
  /** Load (and sampling) per cell. */
  loadMs: number;
  /** After the profile is applied, before the load: the adaptive rule needs a few readings. */
  settleMs: number;
  /** Client proposals in flight at once. */
  concurrency: number;
}

export const QUICK: EvaluateTiming = { loadMs: 8000, settleMs: 4000, concurrency: 4 };
export const FULL: EvaluateTiming = { loadMs: 30_000, settleMs: 6000, concurrency: 8 };

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface CellResult {
  profile: string;
  raft: RaftTransportName;
  /** Client-seen ProposeTask write latency, ms. */
  commitMs: Percentiles;
  commitsPerSecond: number;
  failedWrites: number;
  /** Raft message round trips over every transport the cell used, ms. */
  messageMs: Percentiles;
  messages: number;
  /** Share of Raft messages that went over Iroh (0..1), null without messages. */
  irohShare: number | null;
  elections: number;
  stability: number | null;
  /** SIGKILL of the leader → the survivors agree on a new one, ms; null when it did not happen within its bound. */
  recoveryMs: number | null;
  decision: string;
  /** Why a figure is missing or what the profile could not do. */
  notes: string[];
}

/** The rule on one cell's figures: Raft over this transport under this network. */
export function cellDecision(
  raft: RaftTransportName,
  msgP99Ms: number | null,
  stability: number | null,
  t: MigrationThresholds = MIGRATION_THRESHOLDS,
): string {
  if (msgP99Ms === null || stability === null) return 'no decision (no Raft messages or samples)';
  const ok = raftRuleHolds(msgP99Ms, stability, t);
  const why = [
    ...(msgP99Ms < t.raftMessageP99Ms ? [] : [`p99 ${fmt(msgP99Ms)} ≥ ${t.raftMessageP99Ms} ms`]),
    ...(stability > t.electionStability
      ? []
      : [`stability ${pct(stability)} ≤ ${pct(t.electionStability)} %`]),
  ];
  if (raft === 'grpc') return ok ? 'meets the rule (baseline)' : `baseline fails: ${why.join(', ')}`;
  return ok ? 'Raft may move to Iroh' : `may not move: ${why.join(', ')}`;
}

export function fmt(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function pct(share: number): string {
  return String(Number((share * 100).toFixed(3)));
}

const triple = (p: Percentiles) => `${fmt(p.p50)} / ${fmt(p.p95)} / ${fmt(p.p99)}`;

export function renderTable(cells: readonly CellResult[]): string {
  const table = new Table({
    // Plain text: the table is read in logs and files as often as on a terminal.
    style: { head: [], border: [] },
    head: [
      'profile',
      'raft',
      'commit p50/p95/p99 ms',
      'commits/s',
      'msg p50/p95/p99 ms',
      'over iroh',
      'elections',
      'stability',
      'recovery ms',
      'decision',
    ],
  });
  for (const c of cells)
    table.push([
      c.profile,
      c.raft,
      triple(c.commitMs),
      c.commitsPerSecond.toFixed(0),
      triple(c.messageMs),
      c.irohShare === null ? '—' : `${Math.round(c.irohShare * 100)} %`,
      String(c.elections),
      c.stability === null ? '—' : `${pct(c.stability)} %`,
      fmt(c.recoveryMs),
      c.decision,
    ]);
  const notes = [...new Set(cells.flatMap((c) => c.notes.map((n) => `${c.profile}: ${n}`)))];
  return `${table.toString()}\n${notes.map((n) => `  note: ${n}\n`).join('')}`;
}
