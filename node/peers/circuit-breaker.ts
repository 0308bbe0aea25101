/**
 * A circuit breaker for one peer, as a pure state machine over explicit
 * times: closed (calls go through) → open after `failureThreshold`
 * consecutive failures (calls fail fast) → half-open once the open period
 * has passed (one probe goes through) → closed on the probe's success, or
 * open again, for a longer jittered period, on its failure.
 */
import type { Random } from '../lib/index.ts';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  /** How long the breaker stays open, growing with each failed probe. */
  backoff: BackoffOptions;
}

/**
 * Five silent calls in a row: a live peer on a loaded machine misses a
 * deadline now and then, and opening on it would hold back its Raft traffic.
 */
export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, backoff: DEFAULT_BACKOFF };

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  at: number;
}

export class CircuitBreaker {
  private readonly opts: BreakerOptions;
  private readonly random: Random;
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  /** Failed probes since the breaker last closed: drives the backoff. */
  private reopenings = 0;
  private openUntil = 0;
  private probeInFlight = false;
  readonly transitions: BreakerTransition[] = [];
  onTransition?: (t: BreakerTransition) => void;

  constructor(opts: BreakerOptions, random: Random) {
    this.opts = opts;
    this.random = random;
  }

  /** The state at `now`: an open breaker whose period is over reads as half-open. */
  state(now: number): BreakerState {
    if (this.current === 'open' && now >= this.openUntil) this.move('half-open', now);
    return this.current;
  }

  /** When an open breaker lets its next probe through. */
  get retryAt(): number {
    return this.openUntil;
  }

  get failures(): number {
    return this.consecutiveFailures;
  }

  /**
   * Whether a call may go out at `now`. In half-open only one probe at a
   * time: the others fail fast until it has answered.
   */
  tryAcquire(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  success(now: number): void {
    this.probeInFlight = false;
    this.consecutiveFailures = 0;
    this.reopenings = 0;
    if (this.current !== 'closed') this.move('closed', now);
  }

  failure(now: number): void {
    this.probeInFlight = false;
    this.consecutiveFailures += 1;
    const state = this.state(now);
    if (state === 'half-open') {
      this.reopenings += 1;
      this.open(now);
    } else if (state === 'closed' && this.consecutiveFailures >= this.opts.failureThreshold) {
      this.reopenings = 1;
      this.open(now);
    }
  }

  private open(now: number): void {
    this.openUntil = now + backoffDelay(this.reopenings, this.opts.backoff, this.random);
    this.move('open', now);
  }

  private move(to: BreakerState, at: number): void {
    if (to === this.current) return;
    const t = { from: this.current, to, at };
    this.current = to;
    this.transitions.push(t);
    if (this.transitions.length > 64) this.transitions.shift();
    this.onTransition?.(t);
  }
}
