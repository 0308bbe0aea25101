import type { Entry, Snapshot } from './types.ts';

/** Rough wire size of an entry, for batching by bytes. */
export function entrySize(entry: Entry): number {
  return entry.data.length + 24;
}

/** What the core lets others read of its log (status, tests, the simulation's checkers). */
export interface RaftLogView {
  readonly committed: number;
  readonly applied: number;
  readonly rewrites: number;
  firstIndex(): number;
  lastIndex(): number;
  lastTerm(): number;
  term(index: number): number | undefined;
  entry(index: number): Entry | undefined;
}

/**
 * The in-memory log: a snapshot position followed by entries. It tracks which entries are already
 * on stable storage (`persistedIndex`) so that only new ones are handed to the driver, and how far
 * the state machine has been given committed entries (`applied`).
 */
export class RaftLog implements RaftLogView {
  private snapshotIndex = 0;
  private snapshotTerm = 0;
  private entries: Entry[] = [];
  /** A snapshot received from the leader that is not yet on stable storage. */
  pendingSnapshot: Snapshot | undefined;
  /** Latest snapshot (stable or pending); sent to followers that are too far behind. */
  snapshot: Snapshot | undefined;
  persistedIndex = 0;
  committed = 0;
  applied = 0;
  /** Counts removals of existing entries (suffix overwrite, snapshot restore); lets observers cache checks. */
  rewrites = 0;

  static restore(snapshot: Snapshot | undefined, entries: readonly Entry[], commit: number): RaftLog {
    const log = new RaftLog();
    if (snapshot) {
      log.snapshot = snapshot;
      log.snapshotIndex = snapshot.meta.index;
      log.snapshotTerm = snapshot.meta.term;
    }
    let expected = log.snapshotIndex + 1;
    for (const entry of entries) {
      if (entry.index < expected) continue; // covered by the snapshot
      if (entry.index !== expected) {
        throw new Error(
          `raft log: stored entries are not contiguous: expected index ${expected}, got ${entry.index}`,
        );
      }
      log.entries.push(entry);
      expected++;
    }
    log.persistedIndex = log.lastIndex();
    if (commit > log.lastIndex()) {
      throw new Error(`raft log: stored commit ${commit} is beyond the last stored entry ${log.lastIndex()}`);
    }
    log.committed = Math.max(commit, log.snapshotIndex);
    log.applied = log.snapshotIndex;
    return log;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The term of the entry at `index`, or undefined when it is compacted away or not in the log. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.snapshotIndex) return undefined;
    return this.entries[index - this.snapshotIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft's voting rule: grant only to a candidate whose log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The largest index <= `index` whose term is <= `term`: where two logs may agree, given that the
   * other side holds `term` at `index`. Used to skip a whole term per rejected append.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapshotIndex) {
      const t = this.term(i);
      if (t !== undefined && t <= term) return i;
      i--;
    }
    return this.snapshotIndex;
  }

  /**
   * Follower side of AppendEntries. Returns the last index known to match the leader, or undefined
   * when the previous entry does not match.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    leaderCommit: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    let conflict = 0;
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) {
        conflict = entry.index;
        break;
      }
    }
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new Error(
          `raft log: entry ${conflict} conflicts with a committed entry (commit ${this.committed})`,
        );
      }
      this.append(entries.slice(conflict - prevIndex - 1));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** Appends entries, first dropping any existing suffix they replace. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    if (first.index <= this.committed) {
      throw new Error(
        `raft log: refusing to overwrite committed entry ${first.index} (commit ${this.committed})`,
      );
    }
    if (first.index > this.lastIndex() + 1) {
      throw new Error(`raft log: gap: appending ${first.index} after ${this.lastIndex()}`);
    }
    if (first.index <= this.lastIndex()) this.rewrites++;
    this.entries.length = first.index - this.snapshotIndex - 1;
    for (const entry of entries) this.entries.push(entry);
    this.persistedIndex = Math.min(this.persistedIndex, first.index - 1);
  }

  /** Entries in [lo, hi), stopping before `maxBytes` (always at least one) or `maxCount`. */
  slice(
    lo: number,
    hi: number,
    maxBytes = Number.POSITIVE_INFINITY,
    maxCount = Number.POSITIVE_INFINITY,
  ): Entry[] {
    if (lo <= this.snapshotIndex) throw new Error(`raft log: slice from ${lo} reaches into the snapshot`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi && i <= this.lastIndex() && out.length < maxCount; i++) {
      const entry = this.entry(i);
      if (!entry) break;
      bytes += entrySize(entry);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) {
      throw new Error(`raft log: commit ${index} is beyond the last index ${this.lastIndex()}`);
    }
    this.committed = index;
  }

  /** Replaces the whole log with a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    this.snapshotIndex = snapshot.meta.index;
    this.snapshotTerm = snapshot.meta.term;
    this.entries = [];
    this.rewrites++;
    this.snapshot = snapshot;
    this.pendingSnapshot = snapshot;
    this.committed = snapshot.meta.index;
    this.persistedIndex = snapshot.meta.index;
  }

  /** Drops entries up to a snapshot the application took locally (at an applied index). */
  compact(snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    if (index <= this.snapshotIndex) return;
    if (index > this.applied)
      throw new Error(`raft log: cannot compact to ${index}: only ${this.applied} applied`);
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = snapshot.meta.term;
    this.snapshot = snapshot;
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.persistedIndex - this.snapshotIndex);
  }

  /** Marks entries up to `index` stable, unless they were replaced since they were handed out. */
  stableTo(index: number, term: number): void {
    if (this.matchTerm(index, term) && index > this.persistedIndex) this.persistedIndex = index;
  }

  /** Committed entries not yet handed to the state machine. */
  nextCommittedEntries(): Entry[] {
    if (this.committed <= this.applied) return [];
    return this.slice(this.applied + 1, this.committed + 1);
  }
}
