import type { RaftCore } from '../core/raft-core.ts';
import type { Entry, NodeId, Snapshot } from '../core/types.ts';
import type { MemoryStorage } from '../storage/memory-storage.ts';
import type { StorageUpdate } from '../storage/raft-storage.ts';

/** A broken Raft guarantee, with what was seen. */
export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
}

export function entryKey(entry: Entry): string {
  let hex = '';
  for (const b of entry.data) hex += b.toString(16).padStart(2, '0');
  return `${entry.type}:${hex}`;
}

interface CommittedEntry {
  readonly term: number;
  readonly key: string;
  /** A term at or after the one in which it was committed: leaders of later terms must hold it. */
  readonly commitTerm: number;
}

/**
 * Raft's safety properties, checked incrementally as the simulation runs (§5.4 of the paper):
 * election safety, log matching, leader completeness, state machine safety, and durability of
 * committed entries (persisted on a majority; never removed from a node's storage).
 */
export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** (index, term) -> the entry's previous term and content: log matching by induction. */
  private readonly identities = new Map<string, { prevTerm: number; key: string }>();
  /** Per core instance (a restarted node is a new core with a new log): how far its log is checked. */
  private readonly verified = new WeakMap<RaftCore, { index: number; term: number; rewrites: number }>();
  private readonly committed = new Map<number, CommittedEntry>();
  private highestCommitted = 0;
  private readonly recordedCommit = new Map<NodeId, number>();
  private readonly applied = new Map<number, string>();

  /** How many terms had a leader. */
  electedTerms(): number {
    return this.leaderOfTerm.size;
  }

  /** After any event that touched `core`. */
  afterEvent(core: RaftCore): void {
    this.checkElectionSafety(core);
    this.checkLogMatching(core);
    if (core.currentRole() === 'leader') this.checkLeaderCompleteness(core);
  }

  private checkElectionSafety(core: RaftCore): void {
    if (core.currentRole() !== 'leader') return;
    const term = core.currentTerm();
    const other = this.leaderOfTerm.get(term);
    if (other === undefined) this.leaderOfTerm.set(term, core.id);
    else if (other !== core.id) {
      throw new SafetyViolation(`election safety: ${other} and ${core.id} are both leaders of term ${term}`);
    }
  }

  private checkLogMatching(core: RaftCore): void {
    const log = core.log;
    const seen = this.verified.get(core);
    let from = log.firstIndex();
    if (seen && seen.rewrites === log.rewrites && log.term(seen.index) === seen.term) {
      from = Math.max(from, seen.index + 1);
    }
    const last = log.lastIndex();
    for (let i = from; i <= last; i++) {
      const entry = log.entry(i);
      const prevTerm = log.term(i - 1);
      if (!entry || prevTerm === undefined) continue;
      if (entry.index !== i)
        throw new SafetyViolation(`log: ${core.id} holds entry ${entry.index} at position ${i}`);
      const id = `${i}/${entry.term}`;
      const key = entryKey(entry);
      const known = this.identities.get(id);
      if (!known) {
        this.identities.set(id, { prevTerm, key });
      } else if (known.prevTerm !== prevTerm || known.key !== key) {
        throw new SafetyViolation(
          `log matching: ${core.id} has a different entry at index ${i} term ${entry.term} ` +
            `(previous term ${prevTerm} vs ${known.prevTerm}, content ${key} vs ${known.key})`,
        );
      }
    }
    this.verified.set(core, { index: last, term: log.lastTerm(), rewrites: log.rewrites });
  }

  private checkLeaderCompleteness(core: RaftCore): void {
    const log = core.log;
    const term = core.currentTerm();
    for (let i = log.firstIndex(); i <= this.highestCommitted; i++) {
      const c = this.committed.get(i);
      if (!c || c.commitTerm >= term) continue;
      if (log.term(i) !== c.term) {
        throw new SafetyViolation(
          `leader completeness: leader ${core.id} of term ${term} lacks entry ${i} (term ${c.term}) ` +
            `committed by term ${c.commitTerm}; it has term ${log.term(i) ?? 'none'}`,
        );
      }
    }
  }

  /** Before a node persists: it must never drop an entry that is committed. */
  beforeSave(id: NodeId, storage: MemoryStorage, update: StorageUpdate): void {
    const losing = (from: number, why: string) => {
      for (let i = from; i <= storage.lastIndex(); i++) {
        const c = this.committed.get(i);
        if (c && storage.term(i) === c.term) {
          throw new SafetyViolation(
            `durability: ${id} ${why} drops committed entry ${i} (term ${c.term}) from storage`,
          );
        }
      }
    };
    const snap = update.snapshot;
    if (
      snap &&
      snap.meta.index > storage.snapshotIndex() &&
      storage.term(snap.meta.index) !== snap.meta.term
    ) {
      losing(snap.meta.index + 1, `installing snapshot ${snap.meta.index}`);
    }
    const first = update.entries[0];
    if (first && storage.term(first.index) !== undefined && storage.term(first.index) !== first.term) {
      losing(first.index, `appending at ${first.index}`);
    }
  }

  /**
   * After a node persisted its hard state: record the entries its commit index now covers. When it
   * is the leader (whose membership did the counting), they must be on a majority of voters' storage.
   */
  afterSave(core: RaftCore, storage: MemoryStorage, storages: ReadonlyMap<NodeId, MemoryStorage>): void {
    const commit = storage.currentHardState().commit;
    const from = Math.max((this.recordedCommit.get(core.id) ?? 0) + 1, storage.snapshotIndex() + 1);
    if (commit < from) return;
    this.recordedCommit.set(core.id, commit);
    const voters = core.currentRole() === 'leader' ? core.confState().voters : [];
    for (let i = from; i <= commit; i++) {
      const entry = storage.entry(i);
      if (!entry)
        throw new SafetyViolation(`durability: ${core.id} persisted commit ${commit} but not entry ${i}`);
      const key = entryKey(entry);
      const known = this.committed.get(i);
      if (known && (known.term !== entry.term || known.key !== key)) {
        throw new SafetyViolation(
          `state machine safety: ${core.id} committed ${key} (term ${entry.term}) at index ${i}, ` +
            `but ${known.key} (term ${known.term}) was committed there before`,
        );
      }
      if (!known) this.committed.set(i, { term: entry.term, key, commitTerm: core.currentTerm() });
      this.highestCommitted = Math.max(this.highestCommitted, i);
      if (voters.length > 0) {
        const holders = voters.filter((v) => {
          const s = storages.get(v);
          return s !== undefined && (s.snapshotIndex() >= i || s.term(i) === entry.term);
        });
        if (holders.length < Math.floor(voters.length / 2) + 1) {
          throw new SafetyViolation(
            `durability: leader ${core.id} committed entry ${i} held durably only by [${holders.join(', ')}] of voters [${voters.join(', ')}]`,
          );
        }
      }
    }
  }

  /** A node hands an entry to its state machine. */
  onApply(id: NodeId, entry: Entry): void {
    const key = entryKey(entry);
    const other = this.applied.get(entry.index);
    if (other === undefined) this.applied.set(entry.index, key);
    else if (other !== key) {
      throw new SafetyViolation(
        `state machine safety: ${id} applied ${key} at index ${entry.index}, another node applied ${other}`,
      );
    }
  }

  /** A node restores a snapshot: it stands for entries that must have been committed. */
  onRestore(id: NodeId, snapshot: Snapshot): void {
    const c = this.committed.get(snapshot.meta.index);
    if (c && c.term !== snapshot.meta.term) {
      throw new SafetyViolation(
        `state machine safety: ${id} restored a snapshot at ${snapshot.meta.index} term ${snapshot.meta.term}, committed term is ${c.term}`,
      );
    }
  }
}
