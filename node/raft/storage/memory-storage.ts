import type { Entry, HardState, PersistedState, Snapshot } from '../core/types.ts';
import type { RaftStorage, StorageUpdate } from './raft-storage.ts';

/**
 * RaftStorage in memory, with the same semantics as the durable one: what the simulation keeps
 * of a node across a crash. Also the reference for how entries and snapshots combine.
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState;
  private snapshot: Snapshot | undefined;
  private entries: Entry[];

  constructor(initial: PersistedState) {
    this.hardState = initial.hardState;
    this.snapshot = initial.snapshot;
    this.entries = [...initial.entries];
  }

  load(): PersistedState {
    return {
      hardState: this.hardState,
      ...(this.snapshot ? { snapshot: this.snapshot } : {}),
      entries: [...this.entries],
    };
  }

  save(update: StorageUpdate): void {
    if (update.snapshot) this.applySnapshot(update.snapshot);
    this.append(update.entries);
    if (update.hardState) this.hardState = update.hardState;
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.applySnapshot(snapshot);
  }

  currentHardState(): HardState {
    return this.hardState;
  }

  /** The stored entry at `index`, if it is stored as an entry (not compacted into the snapshot). */
  entry(index: number): Entry | undefined {
    return this.entries[index - this.snapshotIndex() - 1];
  }

  snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  lastIndex(): number {
    return this.snapshotIndex() + this.entries.length;
  }

  /** The stored term at `index`, when it is stored (as an entry or as the snapshot's last). */
  term(index: number): number | undefined {
    if (this.snapshot && index === this.snapshot.meta.index) return this.snapshot.meta.term;
    return this.entries[index - this.snapshotIndex() - 1]?.term;
  }

  private append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    const base = this.snapshotIndex();
    if (first.index <= base)
      throw new Error(`storage: entry ${first.index} is inside the snapshot (${base})`);
    if (first.index > this.lastIndex() + 1) {
      throw new Error(`storage: gap: entry ${first.index} after last ${this.lastIndex()}`);
    }
    // An entry at an existing index replaces it and everything after it (a new leader's log wins).
    this.entries.length = first.index - base - 1;
    this.entries.push(...entries);
  }

  private applySnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    if (index <= this.snapshotIndex()) return;
    // Entries after the snapshot survive only if the log agrees with it at its last index.
    const keep = this.term(index) === term ? this.entries.slice(index - this.snapshotIndex()) : [];
    this.entries = keep;
    this.snapshot = snapshot;
  }
}
