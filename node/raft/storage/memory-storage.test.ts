import { describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '../core/types.ts';
import { MemoryStorage } from './memory-storage.ts';

const e = (index: number, term: number): Entry => ({
  index,
  term,
  type: 'normal',
  data: new Uint8Array([index]),
});
const snap = (index: number, term: number): Snapshot => ({
  meta: { index, term, confState: { voters: ['a'], learners: [] } },
  data: new Uint8Array(0),
});
const empty = () => new MemoryStorage({ hardState: { term: 0, vote: '', commit: 0 }, entries: [] });

describe('MemoryStorage', () => {
  it('replaces a conflicting suffix', () => {
    const s = empty();
    s.save({ entries: [e(1, 1), e(2, 1), e(3, 1)] });
    s.save({ entries: [e(2, 2)] });
    expect(s.load().entries).toEqual([e(1, 1), e(2, 2)]);
  });

  it('refuses a gap', () => {
    const s = empty();
    expect(() => s.save({ entries: [e(2, 1)] })).toThrow(/gap/);
  });

  it('keeps the entries after a snapshot that agrees with the log, and drops all after one that does not', () => {
    const agree = empty();
    agree.save({ entries: [e(1, 1), e(2, 1), e(3, 1)] });
    agree.saveSnapshot(snap(2, 1));
    expect(agree.load().entries).toEqual([e(3, 1)]);
    const disagree = empty();
    disagree.save({ entries: [e(1, 1), e(2, 1), e(3, 1)] });
    disagree.save({ snapshot: snap(2, 4), entries: [] });
    expect(disagree.load()).toEqual({
      hardState: { term: 0, vote: '', commit: 0 },
      snapshot: snap(2, 4),
      entries: [],
    });
  });

  it('ignores an older snapshot', () => {
    const s = empty();
    s.save({ snapshot: snap(5, 2), entries: [e(6, 2)] });
    s.saveSnapshot(snap(3, 1));
    expect(s.snapshotIndex()).toBe(5);
    expect(s.load().entries).toEqual([e(6, 2)]);
  });
});
