import { describe, expect, it } from 'vitest';
import { seededRandom } from '../lib/index.ts';
import { CircuitBreaker } from './circuit-breaker.ts';

const opts = { failureThreshold: 3, backoff: { baseMs: 100, maxMs: 1000, factor: 2 } };

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures, not before', () => {
    const b = new CircuitBreaker(opts, seededRandom(1));
    b.failure(0);
    b.failure(1);
    expect(b.state(2)).toBe('closed');
    expect(b.tryAcquire(2)).toBe(true);
    b.failure(3);
    expect(b.state(3)).toBe('open');
    expect(b.tryAcquire(4)).toBe(false);
  });

  it('a success in between resets the count', () => {
    const b = new CircuitBreaker(opts, seededRandom(1));
    b.failure(0);
    b.failure(1);
    b.success(2);
    b.failure(3);
    b.failure(4);
    expect(b.state(5)).toBe('closed');
  });

  it('goes half-open after the open period, lets one probe through, closes on its success', () => {
    const b = new CircuitBreaker(opts, seededRandom(2));
    for (let t = 0; t < 3; t++) b.failure(t);
    const retryAt = b.retryAt;
    expect(retryAt).toBeGreaterThanOrEqual(2 + 50);
    expect(retryAt).toBeLessThanOrEqual(2 + 100);
    expect(b.state(retryAt - 1)).toBe('open');
    expect(b.state(retryAt)).toBe('half-open');
    expect(b.tryAcquire(retryAt)).toBe(true);
    expect(b.tryAcquire(retryAt)).toBe(false); // one probe at a time
    b.success(retryAt + 5);
    expect(b.state(retryAt + 5)).toBe('closed');
    expect(b.transitions.map((t) => t.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed probe reopens for a longer period, up to the ceiling', () => {
    const b = new CircuitBreaker(opts, seededRandom(3));
    for (let t = 0; t < 3; t++) b.failure(t);
    let now = 2;
    const periods: number[] = [];
    for (let i = 0; i < 8; i++) {
      const openedAt = now;
      now = b.retryAt;
      periods.push(now - openedAt);
      expect(b.tryAcquire(now)).toBe(true);
      b.failure(now);
      expect(b.state(now)).toBe('open');
    }
    // Ceilings 100, 200, 400, 800, 1000…; each period is within [ceiling/2, ceiling].
    const ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
    periods.forEach((p, i) => {
      expect(p).toBeGreaterThanOrEqual((ceilings[i] as number) / 2);
      expect(p).toBeLessThanOrEqual(ceilings[i] as number);
    });
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const b = new CircuitBreaker(opts, seededRandom(seed));
      for (let t = 0; t < 3; t++) b.failure(t);
      return b.retryAt;
    };
    expect(run(7)).toBe(run(7));
  });
});
