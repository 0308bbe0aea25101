import type { Entry, HardState, PersistedState, Snapshot } from '../core/types.ts';

/** The durable parts of a Ready. */
export interface StorageUpdate {
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
}

/**
 * Stable storage for one Raft node. `save` returns only once the update is durable: the driver
 * sends a Ready's messages after it returns, never before.
 */
export interface RaftStorage {
  load(): PersistedState;
  /** Persists, in crash-safe order: the snapshot, then the entries, then the hard state. */
  save(update: StorageUpdate): void;
  /** Saves a snapshot the application took locally (RaftCore.compact) and drops the log it covers. */
  saveSnapshot(snapshot: Snapshot): void;
}
