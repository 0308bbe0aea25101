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
