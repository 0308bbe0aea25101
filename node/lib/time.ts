/** Waiting: for a while, or for a promise with a bound. Every wait in the project goes through here. */

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: a stopped loop just ends). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What a bounded wait gave up on: `what` names it, so the message says what did not happen in time. */
export class TimeoutError extends Error {
  readonly ms: number;
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}`);
    this.name = 'TimeoutError';
    this.ms = ms;
  }
}

/**
 * The promise's outcome, or a TimeoutError naming `what` once `ms` passed (or the error `what`
 * makes, where the caller's error type matters, e.g. a status code). The promise keeps running
 * (there is no general way to stop it); its later rejection is observed, so it never goes unhandled.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string | (() => Error)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(typeof what === 'string' ? new TimeoutError(what, ms) : what()), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** The promise's value, or `fallback` when it fails or `ms` passes first. */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return withTimeout(promise, ms, 'wait').catch(() => fallback);
}
