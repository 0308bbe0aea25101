/** The self-check's rule for a delay that took on the wire, over figures seen on real links. */
import { describe, expect, it } from 'vitest';
import { delayShows } from './self-check.ts';

describe('an injected delay shows in the round trip', () => {
  it('when it adds at least the delay and clears the baseline by half of it', () => {
    expect(delayShows(103.5, 3.1, 100)).toBe(true);
    expect(delayShows(141, 45, 100)).toBe(true);
  });

  it('not when the round trip is what it was without the toxic', () => {
    expect(delayShows(4.2, 3.1, 100)).toBe(false);
    expect(delayShows(95, 60, 100)).toBe(false);
  });

  it('a baseline taken in a burst of load hides a delay that took: the check measures the link again', () => {
    // Seen on a busy 2-core machine: 154.1 ms before the toxic, 103.5 ms with it, ~3 ms after.
    expect(delayShows(103.5, 154.1, 100)).toBe(false);
    expect(delayShows(103.5, Math.min(154.1, 3.4), 100)).toBe(true);
  });
});
