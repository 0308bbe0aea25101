/**
 * Reconnection delays: exponential growth capped at a maximum, with "equal
 * jitter" — half the delay fixed, half random — so peers that lost the same
 * node do not all retry in the same instant, yet none retries almost at once.
 * Pure: the random source is passed in (seeded in tests).
 */
import type { Random } from '../lib/index.ts';

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Ceiling of the un-jittered delay. */
  maxMs: number;
  /** Growth per consecutive failure. */
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 2000, factor: 2 };

/** The un-jittered delay after `attempt` consecutive failures (attempt ≥ 1). */
export function backoffCeiling(attempt: number, opts: BackoffOptions): number {
  const n = Math.max(1, Math.floor(attempt));
  // Capped before the power can overflow: factor^n grows past maxMs long before 64.
  const exp = Math.min(n - 1, 64);
  return Math.min(opts.maxMs, opts.baseMs * opts.factor ** exp);
}

/** A delay in [ceiling/2, ceiling] for the given attempt. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: Random): number {
  const ceiling = backoffCeiling(attempt, opts);
  return ceiling / 2 + random() * (ceiling / 2);
}
