/**
 * Waiting on a condition of real processes: poll until it holds, within a bound derived from the
 * cluster's own timeouts, and when it does not, fail saying what was last seen.
 */

/** The node's Raft timing defaults (node/config/schema.ts): tick 50 ms, election in [10, 20) ticks. */
export const NODE_TICK_MS = 50;
export const ELECTION_TIMEOUT_MAX_MS = 2 * 10 * NODE_TICK_MS;

/**
 * How long a node that can be reached again may take to hear from the leader: its peers' breakers
 * stay open up to 2 s (node/peers), an Iroh handshake may take up to 2 s, then a few election rounds.
 */
export const REPLICATION_BOUND_MS = 2000 + 2000 + 5 * ELECTION_TIMEOUT_MAX_MS;

/**
 * One `lab ...` command's own start-up on a loaded two-core host (Node loading the TypeScript CLI),
 * on top of whatever bound the command itself keeps.
 */
export const CLI_START_MS = 20_000;

export class WaitTimeoutError extends Error {
  readonly lastSeen: unknown;
  constructor(what: string, boundMs: number, lastSeen: string) {
    super(`gave up after ${boundMs} ms waiting for ${what}; last saw: ${lastSeen}`);
    this.name = 'WaitTimeoutError';
    this.lastSeen = lastSeen;
  }
}

export interface WaitOptions<T> {
  /** What is awaited, for the message. */
  what: string;
  boundMs: number;
  /** One look at the system. A throw counts as a look that did not hold (its message is what was seen). */
  probe: () => Promise<T>;
  holds: (seen: T) => boolean;
  /** How to show what was seen (default JSON). */
  show?: (seen: T) => string;
  intervalMs?: number;
}

/** Resolves with the first value that holds; throws WaitTimeoutError naming the last one seen. */
export async function waitUntil<T>(opts: WaitOptions<T>): Promise<T> {
  const deadline = Date.now() + opts.boundMs;
  const show = opts.show ?? ((v: T) => JSON.stringify(v));
  let last = 'nothing yet';
  for (;;) {
    try {
      const seen = await opts.probe();
      if (opts.holds(seen)) return seen;
      last = show(seen);
    } catch (err) {
      last = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(opts.what, opts.boundMs, last);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}
