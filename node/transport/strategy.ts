/**
 * Which transport a call takes: a pure function of the migration strategy,
 * the peer's mode and (for adaptive Raft) the adaptive rule's current choice
 * for the peer (adaptive-raft.ts: measured latency and errors, with hysteresis).
 */
import type { ServiceGroup } from './service-groups.ts';
import { Code, type RpcError } from './status.ts';
import type { MigrationStrategy, TransportKind, TransportMode } from './vocabulary.ts';

export interface Selection {
  group: ServiceGroup | undefined;
  /** What the peer serves. */
  mode: TransportMode;
  /** Where the adaptive Raft rule has Raft to this peer now (gRPC until it decides otherwise). */
  adaptiveRaft?: TransportKind | undefined;
}

export function chooseTransport(strategy: MigrationStrategy, sel: Selection): TransportKind {
  if (sel.mode !== 'dual') return sel.mode;
  if (sel.group === undefined) return 'grpc';
  if (sel.group === 'raft') {
    const rule = strategy.raftTransport;
    if (typeof rule === 'string') return rule;
    return sel.adaptiveRaft ?? 'grpc';
  }
  return strategy.preferIroh.includes(sel.group) ? 'iroh' : 'grpc';
}

/** The fallback rule: only from Iroh, only when enabled, only for connect failures and UNAVAILABLE. */
export function shouldFallBack(
  strategy: MigrationStrategy,
  used: TransportKind,
  mode: TransportMode,
  err: RpcError,
): boolean {
  return strategy.fallbackToGrpc && used === 'iroh' && mode === 'dual' && err.code === Code.UNAVAILABLE;
}

/**
 * Calls that may run twice with no effect beyond the first (docs/ARCHITECTURE.md, "Fallback"): reads,
 * Raft messages (Raft drops a duplicate or stale one), JoinCluster of a recorded member (it updates
 * only what it gives), the owner's guarded reports and ShareVmImage (recording the same holder and hash
 * again changes nothing). Everything else — register writes, VM and task commands, LeaveCluster — may
 * act twice, or answer for a state it created itself (ALREADY_EXISTS for its own create).
 */
export const REPEATABLE: ReadonlySet<string> = new Set([
  'blixard.ClusterService/GetClusterStatus',
  'blixard.ClusterService/SendRaftMessage',
  'blixard.ClusterService/JoinCluster',
  'blixard.ClusterService/GetTaskStatus',
  'blixard.ClusterService/ListVms',
  'blixard.ClusterService/GetVmStatus',
  'blixard.ClusterService/ScheduleVmPlacement',
  'blixard.ClusterService/GetClusterResourceSummary',
  'blixard.ClusterService/HealthCheck',
  'blixard.ClusterService/GetP2pStatus',
  'blixard.ClusterService/ShareVmImage',
  'blixard.ClusterService/GetVmImage',
  'blixard.ClusterService/ListP2pImages',
  'blixard.BlixardService/GetRaftStatus',
  'blixard.BlixardService/ReportVmState',
  'blixard.BlixardService/ReportTaskResult',
  'grpc.health.v1.Health/Check',
  'grpc.health.v1.Health/Watch',
]);

/**
 * After an Iroh call failed: `retry` over gRPC, `no` (the fallback rule does not apply), or `unsafe` —
 * the rule applies but the request may already have reached the peer (`sent`: the connection was up)
 * and running `path` twice is not harmless, so the caller gets the failure, never a blind retry.
 */
export function fallbackDecision(
  strategy: MigrationStrategy,
  used: TransportKind,
  mode: TransportMode,
  err: RpcError,
  path: string,
  sent: boolean,
): 'retry' | 'no' | 'unsafe' {
  if (!shouldFallBack(strategy, used, mode, err)) return 'no';
  return !sent || REPEATABLE.has(path) ? 'retry' : 'unsafe';
}
