import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomInt, seededRandom } from '../../lib/index.ts';
import type { Entry, Snapshot } from '../core/types.ts';
import { DiskStorage } from './disk-storage.ts';
import { MemoryStorage } from './memory-storage.ts';

let dir: string;
let warnings: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'raft-storage-'));
  warnings = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = (segmentBytes = 1024) => DiskStorage.open(dir, { segmentBytes, warn: (m) => warnings.push(m) });
const entries = (from: number, to: number, term: number): Entry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    term,
    index: from + i,
    type: 'normal' as const,
    data: new TextEncoder().encode(`entry ${from + i} of term ${term}`),
  }));
const snapshotAt = (index: number, term: number): Snapshot => ({
  meta: { index, term, confState: { voters: ['a', 'b'], learners: ['c'] } },
  data: new TextEncoder().encode(`state at ${index}`),
});
const segmentsDir = () => join(dir, 'log');
const segmentPaths = () =>
  readdirSync(segmentsDir())
    .sort()
    .map((n) => join(segmentsDir(), n));

describe('DiskStorage', () => {
  it('round-trips hard state, entries and snapshot, also across a reopen', () => {
    const s = open();
    s.save({ hardState: { term: 3, vote: 'a', commit: 4 }, entries: entries(1, 5, 3) });
    const expected = { hardState: { term: 3, vote: 'a', commit: 4 }, entries: entries(1, 5, 3) };
    expect(s.load()).toEqual(expected);
    s.close();
    expect(open().load()).toEqual(expected);
  });

  it('starts empty', () => {
    expect(open().load()).toEqual({ hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
  });

  it('rolls segments and reads them all back in order', () => {
    const s = open(256);
    for (let i = 1; i <= 40; i += 5) s.save({ entries: entries(i, i + 4, 1) });
    expect(segmentPaths().length).toBeGreaterThan(3);
    s.close();
    expect(open(256).load().entries).toEqual(entries(1, 40, 1));
  });

  it('cuts a torn record at the tail with a warning, keeping everything before it', () => {
    const s = open();
    s.save({ hardState: { term: 1, vote: '', commit: 5 }, entries: entries(1, 6, 1) });
    s.close();
    const last = segmentPaths().at(-1) as string;
    const size = statSync(last).size;
    // Half of a record that was being appended when the process died.
    appendFileSync(last, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 9, 9, 9]));
    const reopened = open();
    expect(reopened.load().entries).toEqual(entries(1, 6, 1));
    expect(statSync(last).size).toBe(size);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${last}: cutting a torn record at offset ${size}`);
    // And it keeps working after the repair.
    reopened.save({ entries: entries(7, 7, 1) });
    expect(reopened.load().entries).toEqual(entries(1, 7, 1));
  });

  it('cuts a final record whose bytes were only partly written (bad CRC, nothing valid after it)', () => {
    const s = open();
    s.save({ hardState: { term: 1, vote: '', commit: 2 }, entries: entries(1, 3, 1) });
    s.close();
    const last = segmentPaths().at(-1) as string;
    const bytes = readFileSync(last);
    bytes[bytes.length - 2] = (bytes[bytes.length - 2] ?? 0) ^ 0xff;
    writeFileSync(last, bytes);
    expect(open().load().entries).toEqual(entries(1, 2, 1));
    expect(warnings[0]).toMatch(/CRC mismatch/);
  });

  it('refuses to open when a record in the middle of the log is corrupt, naming file and offset', () => {
    const s = open(100_000);
    s.save({ hardState: { term: 1, vote: '', commit: 3 }, entries: entries(1, 10, 1) });
    s.close();
    const last = segmentPaths().at(-1) as string;
    const bytes = readFileSync(last);
    bytes[20] = (bytes[20] ?? 0) ^ 0x01; // inside the first record's payload
    writeFileSync(last, bytes);
    expect(() => open(100_000)).toThrow(`raft storage: ${last}: corrupt record at offset 0: CRC mismatch`);
    expect(() => open(100_000)).toThrow(/a valid record follows at offset/);
  });

  it('refuses to open when an earlier segment is damaged, even at its end', () => {
    const s = open(256);
    s.save({ entries: entries(1, 30, 1) });
    s.close();
    const first = segmentPaths()[0] as string;
    truncateSync(first, statSync(first).size - 3);
    expect(() => open(256)).toThrow(new RegExp(`raft storage: ${first}: corrupt record at offset \\d+`));
  });

  it('refuses to open with a corrupt hard state', () => {
    const s = open();
    s.save({ hardState: { term: 7, vote: 'b', commit: 0 }, entries: [] });
    s.close();
    const path = join(dir, 'hardstate');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x10;
    writeFileSync(path, bytes);
    expect(() => open()).toThrow(`raft storage: ${path}: corrupt record at offset 0: CRC mismatch`);
  });

  it('refuses to open when committed entries are missing from the log', () => {
    const s = open(100_000);
    s.save({ hardState: { term: 1, vote: '', commit: 5 }, entries: entries(1, 5, 1) });
    s.close();
    const last = segmentPaths().at(-1) as string;
    const recordSize = statSync(last).size / 5;
    truncateSync(last, recordSize * 4); // a clean cut at a record boundary: nothing looks torn
    expect(() => open(100_000)).toThrow(
      /commits index 5 but the log ends at 4 .*committed entries are missing/,
    );
  });

  it('overwrites a conflicting suffix (a follower taking a new leader’s entries), across segments', () => {
    const s = open(256);
    s.save({ entries: entries(1, 30, 1) });
    const before = segmentPaths().length;
    s.save({ entries: entries(8, 9, 2) });
    const expected = [...entries(1, 7, 1), ...entries(8, 9, 2)];
    expect(s.load().entries).toEqual(expected);
    expect(segmentPaths().length).toBeLessThan(before);
    s.close();
    expect(open(256).load().entries).toEqual(expected);
  });

  it('compacts after a local snapshot: covered segments are deleted, the rest is kept', () => {
    const s = open(256);
    s.save({ hardState: { term: 2, vote: '', commit: 60 }, entries: entries(1, 80, 2) });
    const before = segmentPaths().length;
    s.saveSnapshot(snapshotAt(60, 2));
    expect(segmentPaths().length).toBeLessThan(before);
    const expected = {
      hardState: { term: 2, vote: '', commit: 60 },
      snapshot: snapshotAt(60, 2),
      entries: entries(61, 80, 2),
    };
    expect(s.load()).toEqual(expected);
    s.save({ entries: entries(81, 82, 2) });
    s.close();
    expect(open(256).load()).toEqual({ ...expected, entries: entries(61, 82, 2) });
  });

  it("replaces the whole log with a leader's snapshot that it disagrees with", () => {
    const s = open(256);
    s.save({ entries: entries(1, 10, 1) });
    s.save({
      snapshot: snapshotAt(20, 3),
      hardState: { term: 3, vote: '', commit: 20 },
      entries: entries(21, 22, 3),
    });
    const expected = {
      hardState: { term: 3, vote: '', commit: 20 },
      snapshot: snapshotAt(20, 3),
      entries: entries(21, 22, 3),
    };
    expect(s.load()).toEqual(expected);
    s.close();
    expect(open(256).load()).toEqual(expected);
  });

  it('finishes replacing the log on open if a crash came right after the snapshot was saved', () => {
    const other = join(dir, 'other');
    const leaderSide = DiskStorage.open(other, { warn: () => {} });
    leaderSide.saveSnapshot(snapshotAt(5, 3));
    leaderSide.close();
    const s = open();
    s.save({ entries: entries(1, 10, 1) });
    s.close();
    // As if the process died after writing the snapshot file and before deleting the segments.
    writeFileSync(join(dir, 'snapshot'), readFileSync(join(other, 'snapshot')));
    rmSync(other, { recursive: true });
    const reopened = open();
    expect(reopened.load()).toEqual({
      hardState: { term: 0, vote: '', commit: 0 },
      snapshot: snapshotAt(5, 3),
      entries: [],
    });
    expect(warnings[0]).toMatch(/dropping the log that the snapshot at 5 replaced/);
  });

  it('behaves like MemoryStorage (the reference) over random updates and reopens', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededRandom(seed);
      const memory = new MemoryStorage({ hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
      let disk = open(300);
      let term = 1;
      for (let step = 0; step < 60; step++) {
        const roll = random();
        const last = memory.lastIndex();
        const base = memory.snapshotIndex();
        // Raft never rewrites committed entries, so neither does the generator (storage refuses that log).
        const commit = memory.load().hardState.commit;
        if (roll < 0.55) {
          const from = randomInt(random, Math.max(base + 1, commit + 1, last - 3), last + 2);
          if (random() < 0.3) term++;
          const batch = entries(from, from + randomInt(random, 0, 5), term);
          memory.save({ entries: batch });
          disk.save({ entries: batch });
        } else if (roll < 0.7 && last > base) {
          const at = randomInt(random, base + 1, last + 1);
          const snap = snapshotAt(at, memory.term(at) ?? 0);
          memory.saveSnapshot(snap);
          disk.saveSnapshot(snap);
        } else if (roll < 0.78) {
          const snap = snapshotAt(last + randomInt(random, 1, 4), ++term);
          memory.save({ snapshot: snap, entries: [] });
          disk.save({ snapshot: snap, entries: [] });
        } else if (roll < 0.9) {
          const hs = {
            term,
            vote: random() < 0.5 ? 'a' : '',
            commit: randomInt(random, 0, memory.lastIndex() + 1),
          };
          memory.save({ hardState: hs, entries: [] });
          disk.save({ hardState: hs, entries: [] });
        } else {
          disk.close();
          disk = open(300);
        }
        expect(disk.load(), `seed ${seed} step ${step}`).toEqual(memory.load());
      }
      disk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
