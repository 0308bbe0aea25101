import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ByteReader } from '../codec/byte-reader.ts';
import { ByteWriter } from '../codec/byte-writer.ts';
import {
  decodeEntryFrom,
  decodeSnapshotFrom,
  encodeEntryTo,
  encodeSnapshotTo,
} from '../codec/message-codec.ts';
import { type Entry, type HardState, NO_NODE, type PersistedState, type Snapshot } from '../core/types.ts';
import { fsyncDirectory, writeFileAtomically } from './atomic-file.ts';
import type { RaftStorage, StorageUpdate } from './raft-storage.ts';
import { frameRecord, readRecord, validRecordAfter } from './record-file.ts';

export interface DiskStorageOptions {
  /** A segment is closed and a new one started once it reaches this size. */
  readonly segmentBytes?: number;
  /** Where recoveries (a cut torn tail) are reported. */
  readonly warn?: (message: string) => void;
}

const STORAGE_VERSION = 1;
const HARD_STATE_FILE = 'hardstate';
const SNAPSHOT_FILE = 'snapshot';
const LOG_DIR = 'log';
const SEGMENT_SUFFIX = '.seg';
/** Smallest encoded entry (two u64, a type byte, an empty data length). */
const MIN_ENTRY_PAYLOAD = 21;

interface Segment {
  readonly firstIndex: number;
  readonly path: string;
  size: number;
}

/** Where one entry lives on disk. */
interface EntryPosition {
  readonly segment: Segment;
  readonly offset: number;
  readonly term: number;
}

/**
 * Durable Raft storage in a data directory:
 *   hardstate        one record: term, vote, commit (replaced atomically)
 *   snapshot         one record: the latest snapshot (replaced atomically)
 *   log/<first>.seg  append-only segments of entry records, named by their first index
 * Every record carries its length and CRC32. save() returns after fsync. On open, a torn or
 * corrupt record at the very end of the log (an interrupted append) is cut with a warning; any
 * other damage is an error naming the file and offset, so committed entries are never dropped
 * silently.
 */
export class DiskStorage implements RaftStorage {
  private readonly dir: string;
  private readonly logDir: string;
  private readonly segmentBytes: number;
  private readonly warn: (message: string) => void;
  private hardState: HardState = { term: 0, vote: NO_NODE, commit: 0 };
  private snapshot: Snapshot | undefined;
  private segments: Segment[] = [];
  /** Positions of the entries after the snapshot, from `snapshotIndex() + 1`. */
  private positions: EntryPosition[] = [];
  private appendFd: number | undefined;
  /** Found on open: the log disagrees with the snapshot at its index, so the snapshot replaced it. */
  private supersededBySnapshot = false;

  private constructor(dir: string, options: DiskStorageOptions) {
    this.dir = dir;
    this.logDir = join(dir, LOG_DIR);
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    this.warn = options.warn ?? ((message) => console.warn(message));
  }

  /** Opens (creating if needed) the storage in `dir`, recovering from an interrupted append. */
  static open(dir: string, options: DiskStorageOptions = {}): DiskStorage {
    const storage = new DiskStorage(dir, options);
    storage.recover();
    return storage;
  }

  close(): void {
    if (this.appendFd !== undefined) closeSync(this.appendFd);
    this.appendFd = undefined;
  }

  load(): PersistedState {
    const entries: Entry[] = [];
    for (const segment of this.segments) {
      const buffer = readFileSync(segment.path);
      for (let offset = 0; offset < segment.size; ) {
        const read = readRecord(buffer, offset);
        if (read.kind !== 'record') throw this.damage(segment.path, offset, read.reason);
        const entry = this.decodeEntry(read.payload, segment.path, offset);
        if (entry.index > this.snapshotIndex()) entries.push(entry);
        offset = read.next;
      }
    }
    return { hardState: this.hardState, ...(this.snapshot ? { snapshot: this.snapshot } : {}), entries };
  }

  save(update: StorageUpdate): void {
    if (update.snapshot) this.installSnapshot(update.snapshot);
    this.append(update.entries);
    if (update.hardState) this.writeHardState(update.hardState);
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.installSnapshot(snapshot);
  }

  snapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  lastIndex(): number {
    return this.snapshotIndex() + this.positions.length;
  }

  /** Segment files currently holding the log (for tests and status). */
  segmentFiles(): string[] {
    return this.segments.map((s) => s.path);
  }

  // ---- recovery -------------------------------------------------------------------------------

  private recover(): void {
    mkdirSync(this.logDir, { recursive: true });
    this.hardState = this.readHardState();
    this.snapshot = this.readSnapshot();
    const names = readdirSync(this.logDir)
      .filter((n) => n.endsWith(SEGMENT_SUFFIX))
      .sort();
    for (const name of readdirSync(this.logDir))
      if (name.endsWith('.tmp')) unlinkSync(join(this.logDir, name));
    names.forEach((name, i) => {
      const firstIndex = Number(name.slice(0, -SEGMENT_SUFFIX.length));
      if (!Number.isSafeInteger(firstIndex) || firstIndex < 1) {
        throw new Error(`raft storage: ${join(this.logDir, name)}: not a segment name`);
      }
      this.scanSegment({ firstIndex, path: join(this.logDir, name), size: 0 }, i === names.length - 1);
    });
    if (this.supersededBySnapshot) {
      // A crash came between saving a leader's snapshot and deleting the log it replaced.
      this.warn(
        `raft storage: ${this.logDir}: dropping the log that the snapshot at ${this.snapshotIndex()} replaced`,
      );
      for (const segment of this.segments) unlinkSync(segment.path);
      this.segments = [];
      this.positions = [];
      fsyncDirectory(this.logDir);
    }
    const last = this.lastIndex();
    if (this.hardState.commit > last) {
      throw new Error(
        `raft storage: ${this.dir}: hard state commits index ${this.hardState.commit} but the log ends at ${last} ` +
          `(${this.segments[this.segments.length - 1]?.path ?? 'no segments'}): committed entries are missing`,
      );
    }
  }

  private scanSegment(segment: Segment, isLast: boolean): void {
    const buffer = readFileSync(segment.path);
    let expected = segment.firstIndex;
    let offset = 0;
    while (offset < buffer.length) {
      const read = readRecord(buffer, offset);
      if (read.kind !== 'record') {
        const laterRecord = validRecordAfter(buffer, offset, MIN_ENTRY_PAYLOAD);
        if (!isLast || laterRecord !== undefined) {
          const why = laterRecord !== undefined ? `; a valid record follows at offset ${laterRecord}` : '';
          throw this.damage(segment.path, offset, `${read.reason}${why}`);
        }
        // An append that never completed (and so was never acknowledged): cut it off.
        this.warn(
          `raft storage: ${segment.path}: cutting a torn record at offset ${offset} (${buffer.length - offset} bytes: ${read.reason})`,
        );
        const fd = openSync(segment.path, 'r+');
        try {
          ftruncateSync(fd, offset);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        break;
      }
      const entry = this.decodeEntry(read.payload, segment.path, offset);
      if (entry.index !== expected) {
        throw this.damage(segment.path, offset, `entry index ${entry.index}, expected ${expected}`);
      }
      this.track(segment, offset, entry);
      expected++;
      offset = read.next;
    }
    segment.size = offset;
    this.segments.push(segment);
  }

  /** Records where an entry lives; entries inside the snapshot are left out. */
  private track(segment: Segment, offset: number, entry: Entry): void {
    const base = this.snapshotIndex();
    if (entry.index === base && entry.term !== this.snapshot?.meta.term) this.supersededBySnapshot = true;
    if (entry.index <= base || this.supersededBySnapshot) return;
    if (entry.index !== this.lastIndex() + 1) {
      throw this.damage(segment.path, offset, `entry ${entry.index} leaves a gap after ${this.lastIndex()}`);
    }
    this.positions.push({ segment, offset, term: entry.term });
  }

  private decodeEntry(payload: Uint8Array, path: string, offset: number): Entry {
    try {
      return decodeEntryFrom(new ByteReader(payload, 'entry'), 'entry');
    } catch (err) {
      throw this.damage(path, offset, (err as Error).message);
    }
  }

  private damage(path: string, offset: number, reason: string): Error {
    return new Error(`raft storage: ${path}: corrupt record at offset ${offset}: ${reason}`);
  }

  private readHardState(): HardState {
    const path = join(this.dir, HARD_STATE_FILE);
    if (!existsSync(path)) return { term: 0, vote: NO_NODE, commit: 0 };
    return this.readSingleRecord(path, (r) => ({
      term: r.u64('term'),
      vote: r.string('vote', 1024),
      commit: r.u64('commit'),
    }));
  }

  private readSnapshot(): Snapshot | undefined {
    const path = join(this.dir, SNAPSHOT_FILE);
    if (!existsSync(path)) return undefined;
    return this.readSingleRecord(path, decodeSnapshotFrom);
  }

  private readSingleRecord<T>(path: string, decode: (r: ByteReader) => T): T {
    const buffer = readFileSync(path);
    const read = readRecord(buffer, 0);
    if (read.kind !== 'record') throw this.damage(path, 0, read.reason);
    if (read.next !== buffer.length) throw this.damage(path, read.next, 'unexpected bytes after the record');
    try {
      const r = new ByteReader(read.payload, path);
      const version = r.u8('version');
      if (version !== STORAGE_VERSION) r.fail('version', `unsupported storage version ${version}`);
      const value = decode(r);
      r.end();
      return value;
    } catch (err) {
      throw this.damage(path, 0, (err as Error).message);
    }
  }

  // ---- writing --------------------------------------------------------------------------------

  private writeHardState(hs: HardState): void {
    const payload = new ByteWriter().u8(STORAGE_VERSION).u64(hs.term).string(hs.vote).u64(hs.commit).finish();
    writeFileAtomically(join(this.dir, HARD_STATE_FILE), frameRecord(payload));
    this.hardState = hs;
  }

  private append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    if (first.index <= this.snapshotIndex()) {
      throw new Error(`raft storage: entry ${first.index} is inside the snapshot (${this.snapshotIndex()})`);
    }
    if (first.index > this.lastIndex() + 1) {
      throw new Error(`raft storage: gap: entry ${first.index} after last ${this.lastIndex()}`);
    }
    // A new leader's entries replace a conflicting suffix.
    if (first.index <= this.lastIndex()) this.truncateFrom(first.index);
    let createdSegment = false;
    let segment = this.segments[this.segments.length - 1];
    // Records are gathered per segment and written with one call, then fsynced once.
    let pending: Uint8Array[] = [];
    let pendingAt = 0;
    const writePending = () => {
      if (!segment || pending.length === 0) return;
      const bytes = Buffer.concat(pending);
      const fd = this.appendFdFor(segment);
      let written = 0;
      while (written < bytes.length)
        written += writeSync(fd, bytes, written, bytes.length - written, pendingAt + written);
      pending = [];
    };
    for (const entry of entries) {
      if (!segment || segment.size >= this.segmentBytes) {
        writePending();
        segment = this.startSegment(entry.index);
        createdSegment = true;
      }
      if (pending.length === 0) pendingAt = segment.size;
      const w = new ByteWriter();
      encodeEntryTo(w, entry);
      const record = frameRecord(w.finish());
      pending.push(record);
      this.positions.push({ segment, offset: segment.size, term: entry.term });
      segment.size += record.length;
    }
    writePending();
    if (this.appendFd !== undefined) fsyncSync(this.appendFd);
    if (createdSegment) fsyncDirectory(this.logDir);
  }

  private startSegment(firstIndex: number): Segment {
    // The segment being left is complete: make it durable before appending elsewhere.
    if (this.appendFd !== undefined) fsyncSync(this.appendFd);
    this.close();
    const segment: Segment = {
      firstIndex,
      path: join(this.logDir, `${String(firstIndex).padStart(20, '0')}${SEGMENT_SUFFIX}`),
      size: 0,
    };
    closeSync(openSync(segment.path, 'w'));
    this.segments.push(segment);
    return segment;
  }

  private appendFdFor(segment: Segment): number {
    if (this.appendFd === undefined) {
      if (segment !== this.segments[this.segments.length - 1])
        throw new Error('raft storage: append to a closed segment');
      this.appendFd = openSync(segment.path, 'r+');
    }
    return this.appendFd;
  }

  /** Drops entries from `index` on: truncate the segment holding it, delete the ones after. */
  private truncateFrom(index: number): void {
    const position = this.positions[index - this.snapshotIndex() - 1];
    if (!position) return;
    this.close();
    const keep = this.segments.indexOf(position.segment);
    for (const segment of this.segments.slice(keep + 1)) unlinkSync(segment.path);
    this.segments = this.segments.slice(0, keep + 1);
    const fd = openSync(position.segment.path, 'r+');
    try {
      ftruncateSync(fd, position.offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    position.segment.size = position.offset;
    this.positions.length = index - this.snapshotIndex() - 1;
    fsyncDirectory(this.logDir);
  }

  private installSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    if (index <= this.snapshotIndex()) return;
    const w = new ByteWriter().u8(STORAGE_VERSION);
    encodeSnapshotTo(w, snapshot);
    writeFileAtomically(join(this.dir, SNAPSHOT_FILE), frameRecord(w.finish()));
    const position = this.positions[index - this.snapshotIndex() - 1];
    if (position?.term === term) {
      // Compaction: the log agrees with the snapshot; drop what it covers.
      this.positions = this.positions.slice(index - this.snapshotIndex());
      this.snapshot = snapshot;
      this.deleteSegmentsBefore(this.positions[0]?.segment);
    } else {
      // A snapshot from the leader replaces the whole log.
      this.snapshot = snapshot;
      this.positions = [];
      this.close();
      for (const segment of this.segments) unlinkSync(segment.path);
      this.segments = [];
      fsyncDirectory(this.logDir);
    }
  }

  /** Deletes segments wholly covered by the snapshot: those before `firstKept` (or all but the last). */
  private deleteSegmentsBefore(firstKept: Segment | undefined): void {
    const keepFrom = firstKept ? this.segments.indexOf(firstKept) : this.segments.length - 1;
    if (keepFrom <= 0) return;
    for (const segment of this.segments.slice(0, keepFrom)) unlinkSync(segment.path);
    this.segments = this.segments.slice(keepFrom);
    fsyncDirectory(this.logDir);
  }
}
