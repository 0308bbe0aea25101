import { describe, expect, it } from 'vitest';
import { RaftLog } from './raft-log.ts';
import type { Entry, Snapshot } from './types.ts';

const e = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array(10) });
/** A log holding entries with the given terms from index 1. */
const logOf = (...terms: number[]) =>
  RaftLog.restore(
    undefined,
    terms.map((t, i) => e(i + 1, t)),
    0,
  );

describe('RaftLog', () => {
  it('answers terms, including index 0 and beyond the end', () => {
    const log = logOf(1, 1, 2);
    expect([0, 1, 3, 4].map((i) => log.term(i))).toEqual([0, 1, 2, undefined]);
    expect(log.lastIndex()).toBe(3);
    expect(log.lastTerm()).toBe(2);
  });

  it('judges up-to-date logs by last term, then length', () => {
    const log = logOf(1, 2, 2);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(9, 1)).toBe(false);
  });

  it('finds where logs may agree, skipping a whole term', () => {
    const log = logOf(1, 1, 2, 2, 2, 4, 4);
    expect(log.findConflictByTerm(7, 3)).toBe(5);
    expect(log.findConflictByTerm(7, 4)).toBe(7);
    expect(log.findConflictByTerm(4, 1)).toBe(2);
    expect(log.findConflictByTerm(7, 0)).toBe(0);
  });

  it('appends after a matching previous entry and replaces a conflicting suffix', () => {
    const log = logOf(1, 1, 1, 1);
    log.persistedIndex = 4;
    expect(log.maybeAppend(2, 1, 0, [e(3, 2), e(4, 2), e(5, 2)])).toBe(5);
    expect([3, 4, 5].map((i) => log.term(i))).toEqual([2, 2, 2]);
    expect(log.persistedIndex).toBe(2);
    expect(log.unstableEntries().map((x) => x.index)).toEqual([3, 4, 5]);
    expect(log.rewrites).toBe(1);
  });

  it('does not touch the log for entries it already has (a duplicated, older append)', () => {
    const log = logOf(1, 1, 1);
    log.persistedIndex = 3;
    expect(log.maybeAppend(0, 0, 0, [e(1, 1)])).toBe(1);
    expect(log.lastIndex()).toBe(3);
    expect(log.rewrites).toBe(0);
  });

  it('refuses an append whose previous entry does not match', () => {
    const log = logOf(1, 1);
    expect(log.maybeAppend(2, 2, 0, [e(3, 2)])).toBeUndefined();
    expect(log.maybeAppend(5, 1, 0, [])).toBeUndefined();
  });

  it('never overwrites a committed entry', () => {
    const log = logOf(1, 1, 1);
    log.commitTo(2);
    expect(() => log.maybeAppend(1, 1, 0, [e(2, 5)])).toThrow(/conflicts with a committed entry/);
  });

  it('commits only up to the leader commit and the last new entry', () => {
    const log = logOf(1);
    log.maybeAppend(1, 1, 10, [e(2, 1)]);
    expect(log.committed).toBe(2);
  });

  it('slices by count and by bytes, always at least one entry', () => {
    const log = logOf(1, 1, 1, 1, 1);
    expect(log.slice(1, 6, Number.POSITIVE_INFINITY, 2).map((x) => x.index)).toEqual([1, 2]);
    expect(log.slice(1, 6, 70).map((x) => x.index)).toEqual([1, 2]);
    expect(log.slice(1, 6, 1).map((x) => x.index)).toEqual([1]);
  });

  it('compacts to an applied index and restores from a snapshot', () => {
    const log = logOf(1, 1, 2, 2);
    log.applied = 3;
    const snap = (index: number, term: number): Snapshot => ({
      meta: { index, term, confState: { voters: ['a'], learners: [] } },
      data: new Uint8Array(0),
    });
    expect(() => log.compact(snap(4, 2))).toThrow(/only 3 applied/);
    log.compact(snap(3, 2));
    expect(log.firstIndex()).toBe(4);
    expect(log.term(3)).toBe(2);
    expect(log.term(2)).toBeUndefined();
    log.restore(snap(10, 5));
    expect([log.firstIndex(), log.lastIndex(), log.committed]).toEqual([11, 10, 10]);
    expect(log.pendingSnapshot?.meta.index).toBe(10);
  });

  it('refuses stored entries with a gap and a commit beyond them', () => {
    expect(() => RaftLog.restore(undefined, [e(1, 1), e(3, 1)], 0)).toThrow(/not contiguous/);
    expect(() => RaftLog.restore(undefined, [e(1, 1)], 2)).toThrow(/beyond the last stored entry/);
  });
});
