/**
 * One peer as this node sees it: the routed channel (one reused connection
 * per transport, redialled when it dies), a circuit breaker fed by every call
 * and by periodic HealthCheck RPCs, and the reconnection schedule the breaker
 * keeps (backoff with jitter). While the breaker is open calls fail fast with
 * UNAVAILABLE instead of each waiting out a deadline on a dead peer.
 */

import type { Random } from '../lib/index.ts';
import { sleep } from '../lib/index.ts';
import { ClusterService, Code, createClient, type RoutedChannel, RpcError } from '../transport/index.ts';
import {
  type BreakerOptions,
  type BreakerState,
  type BreakerTransition,
  CircuitBreaker,
} from './circuit-breaker.ts';

export interface PeerLinkOptions {
  breaker: BreakerOptions;
  /** Pause between health checks while the breaker is closed. */
  healthIntervalMs: number;
  healthTimeoutMs: number;
  random: Random;
}

/** Codes that say nothing came back from the peer: they count against the breaker. */
const PEER_SILENT = new Set<number>([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]);

export class PeerLink {
  readonly peer: string;
  readonly channel: RoutedChannel;
  readonly breaker: CircuitBreaker;
  private readonly opts: PeerLinkOptions;
  private readonly stopping = new AbortController();
  private readonly waiters = new Set<() => void>();
  healthChecks = 0;
  healthFailures = 0;
  lastHealthyAt = 0;
  onTransition?: (peer: string, t: BreakerTransition) => void;

  constructor(peer: string, channel: RoutedChannel, opts: PeerLinkOptions) {
    this.peer = peer;
    this.channel = channel;
    this.opts = opts;
    this.breaker = new CircuitBreaker(opts.breaker, opts.random);
    this.breaker.onTransition = (t) => {
      this.onTransition?.(peer, t);
      if (t.to === 'closed') for (const wake of [...this.waiters]) wake();
    };
  }

  state(): BreakerState {
    return this.breaker.state(Date.now());
  }

  /** Runs one call to the peer through the breaker. */
  async call<T>(work: (channel: RoutedChannel) => Promise<T>): Promise<T> {
    if (!this.breaker.tryAcquire(Date.now())) {
      const wait = Math.max(0, Math.round(this.breaker.retryAt - Date.now()));
      throw new RpcError(Code.UNAVAILABLE, `circuit open for peer ${this.peer}; next probe in ${wait} ms`);
    }
    try {
      const result = await work(this.channel);
      this.breaker.success(Date.now());
      return result;
    } catch (err) {
      const code = err instanceof RpcError ? err.code : Code.UNKNOWN;
      // Any answer from the peer, even an error, shows it is reachable.
      if (PEER_SILENT.has(code)) this.breaker.failure(Date.now());
      else this.breaker.success(Date.now());
      throw err;
    }
  }

  /** Resolves once the breaker is closed again (a probe found the peer back), or on stop. */
  whenClosed(): Promise<void> {
    if (this.stopping.signal.aborted || this.state() === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      this.stopping.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Periodic HealthCheck: keeps the breaker current while no other traffic flows. */
  async runHealthChecks(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const now = Date.now();
      const state = this.breaker.state(now);
      const jittered = this.opts.healthIntervalMs * (0.75 + this.opts.random() * 0.5);
      // Closed: the regular pace. Open: the end of the open period. Half-open: probe now.
      const delay = state === 'closed' ? jittered : Math.max(0, this.breaker.retryAt - now);
      await sleep(delay, signal);
      if (signal.aborted) return;
      this.healthChecks += 1;
      try {
        await this.call((ch) =>
          createClient(ClusterService, ch).healthCheck({}, { timeoutMs: this.opts.healthTimeoutMs }),
        );
        this.lastHealthyAt = Date.now();
      } catch {
        this.healthFailures += 1;
        // A probe refused because another is in flight still needs a pause before the next.
        await sleep(Math.min(this.opts.healthIntervalMs, 50), signal);
      }
    }
  }

  stop(): void {
    this.stopping.abort();
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }
}
