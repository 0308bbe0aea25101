import { describe, expect, it } from 'vitest';
import { seededRandom } from '../lib/index.ts';
import { backoffCeiling, backoffDelay } from './backoff.ts';

const opts = { baseMs: 50, maxMs: 3000, factor: 2 };

describe('backoff with jitter', () => {
  it('grows exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffCeiling(a, opts))).toEqual([
      50, 100, 200, 400, 800, 1600, 3000, 3000,
    ]);
    expect(backoffCeiling(10_000, opts)).toBe(3000);
    expect(backoffCeiling(0, opts)).toBe(50);
  });

  it('stays within [ceiling/2, ceiling] and spreads over the range', () => {
    const random = seededRandom(42);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = backoffCeiling(attempt, opts);
      const samples = Array.from({ length: 500 }, () => backoffDelay(attempt, opts, random));
      for (const d of samples) {
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
      // Jitter really spreads: both halves of the random half are used.
      const mid = ceiling * 0.75;
      expect(samples.some((d) => d < mid)).toBe(true);
      expect(samples.some((d) => d > mid)).toBe(true);
    }
  });

  it('same seed, same delays', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    for (let i = 1; i < 20; i++) expect(backoffDelay(i, opts, a)).toBe(backoffDelay(i, opts, b));
  });
});
