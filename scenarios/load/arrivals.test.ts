import { describe, expect, it } from 'vitest';
import { latencyFrom, nextStep } from './arrivals.ts';

describe("the open model's clock", () => {
  it('sleeps until shortly before the next request is due, so a late timer still sends on time', () => {
    // 200/s: request 3 is due at 15 ms; at 10 ms the generator sleeps until 13.5 ms.
    expect(nextStep(10, 3, 100, 200, 1.5)).toEqual({ sleepMs: 3.5 });
    expect(nextStep(13.5, 3, 100, 200, 1.5)).toEqual({ send: 1 });
  });

  it('sends every request already due at once when behind, and never past the total', () => {
    // At 42 ms requests 3..8 (15, 20, …, 40 ms) are due: a stalled generator catches up in one go.
    expect(nextStep(42, 3, 100, 200, 1.5)).toEqual({ send: 6 });
    expect(nextStep(1000, 98, 100, 200, 1.5)).toEqual({ send: 2 });
  });

  it('measures from the intended time when sent late, from the actual send when sent early', () => {
    expect(latencyFrom(100, 105, 110)).toBe(10);
    expect(latencyFrom(100, 99, 110)).toBe(11);
  });
});
