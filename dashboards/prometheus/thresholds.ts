/**
 * The migration's thresholds, in one place: rollout gates, the lab's Prometheus alerts, the
 * run verdict's Raft decision and `lab evaluate raft` all read these numbers, so a gate and
 * the alert that watches the same figure can never disagree.
 *
 * The decision rule (DESIGN.md): Raft moves to Iroh last, and only while its p99 message
 * latency stays under 10 ms and election stability stays above 99.9 %.
 */
export interface MigrationThresholds {
  /** Raft message round trip p99 must stay strictly below this (milliseconds). */
  readonly raftMessageP99Ms: number;
  /** Election stability (docs/ARCHITECTURE.md: share of sampled time with one leader and no term change) must stay strictly above this (0..1). */
  readonly electionStability: number;
  /** Outgoing Iroh calls failing with UNAVAILABLE or a deadline, as a share of outgoing Iroh calls: at most this (0..1). */
  readonly irohErrorRatio: number;
  /** Calls retried over gRPC after Iroh failed, as a share of all outgoing calls: at most this (0..1). */
  readonly fallbackRatio: number;
  /** Leader changes any node sees within `leaderChurnWindowSeconds`: at most this (one planned handover and one failover). */
  readonly leaderChanges: number;
  readonly leaderChurnWindowSeconds: number;
  /** Rate window of the alerts' ratios and quantiles (seconds); the lab scrapes every 2 s. */
  readonly rateWindowSeconds: number;
  /** How long an alert's condition must hold before it fires (seconds), and how long a gate watches. */
  readonly holdSeconds: number;
}

export const MIGRATION_THRESHOLDS: MigrationThresholds = Object.freeze({
  raftMessageP99Ms: 10,
  electionStability: 0.999,
  irohErrorRatio: 0.01,
  fallbackRatio: 0.01,
  leaderChanges: 2,
  leaderChurnWindowSeconds: 300,
  rateWindowSeconds: 60,
  holdSeconds: 30,
});

/** The Raft decision rule on measured inputs: both must hold (strict inequalities, as DESIGN.md states them). */
export function raftRuleHolds(
  p99Ms: number,
  stability: number,
  t: MigrationThresholds = MIGRATION_THRESHOLDS,
) {
  return p99Ms < t.raftMessageP99Ms && stability > t.electionStability;
}
