import { describe, expect, it } from 'vitest';
import { Progress } from './progress.ts';

describe('Progress', () => {
  it('probes one append at a time', () => {
    const pr = new Progress(5, 4);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(7);
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(5); // a probe does not move next optimistically
  });

  it('streams optimistically up to the inflight limit when replicating', () => {
    const pr = new Progress(1, 2);
    pr.maybeUpdate(4);
    pr.becomeReplicate();
    pr.sentEntries(6);
    pr.sentEntries(8);
    expect(pr.next).toBe(9);
    expect(pr.isPaused()).toBe(true);
    pr.inflights.freeUpTo(6);
    expect(pr.isPaused()).toBe(false);
  });

  it('backs off on a rejection to the hint, ignoring stale rejections', () => {
    const pr = new Progress(11, 4);
    expect(pr.maybeDecrTo(7, 3)).toBe(false); // not the probe we sent (next - 1 = 10)
    expect(pr.maybeDecrTo(10, 3)).toBe(true);
    expect(pr.next).toBe(4);
    pr.maybeUpdate(2);
    pr.becomeReplicate();
    expect(pr.maybeDecrTo(2, 0)).toBe(false); // at or below match: stale
    expect(pr.maybeDecrTo(5, 0)).toBe(true);
    expect(pr.next).toBe(3);
  });

  it('pauses while a snapshot is in flight and resumes after it', () => {
    const pr = new Progress(3, 4);
    pr.becomeSnapshot(20);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
    expect(pr.isPaused()).toBe(false);
  });
});
