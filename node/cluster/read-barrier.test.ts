/**
 * The read barrier over a scripted driver: LOCAL reads at once, a
 * linearizable read waits for a confirmed read index, asks again after a
 * refusal, and fails UNAVAILABLE with the reason once its budget is spent.
 */
import { describe, expect, it } from 'vitest';
import { ReadConsistency } from '../gen/blixard_pb.js';
import { Code, RpcError } from '../transport/index.ts';
import { readBarrier } from './read-barrier.ts';

const opts = { timeoutMs: 300, attemptMs: 100, retryMs: 5 };

/** A driver whose readIndex answers come from `script`, one per call (the last repeats). */
function scripted(script: (() => Promise<number>)[]) {
  let calls = 0;
  const driver = {
    readIndex: () => {
      const next = script[Math.min(calls, script.length - 1)] as () => Promise<number>;
      calls += 1;
      return next();
    },
  };
  return { driver, calls: () => calls };
}

const refused = () => Promise.reject(new RpcError(Code.UNAVAILABLE, 'no known leader'));
const never = () => new Promise<number>(() => {});

describe('readBarrier', () => {
  it('reads LOCAL at the applied index without asking anyone', async () => {
    const d = scripted([refused]);
    const read = readBarrier(d.driver, { applied: 42 }, opts);
    expect(await read(ReadConsistency.LOCAL)).toBe(42);
    expect(d.calls()).toBe(0);
  });

  it('waits for the confirmed read index by default and when asked for LINEARIZABLE', async () => {
    const d = scripted([() => Promise.resolve(7)]);
    const read = readBarrier(d.driver, { applied: 3 }, opts);
    expect(await read()).toBe(7);
    expect(await read(ReadConsistency.LINEARIZABLE)).toBe(7);
    expect(d.calls()).toBe(2);
  });

  it('asks again after a refusal (no leader yet) and answers once the leader confirms', async () => {
    const d = scripted([refused, refused, () => Promise.resolve(9)]);
    expect(await readBarrier(d.driver, { applied: 0 }, opts)()).toBe(9);
    expect(d.calls()).toBe(3);
  });

  it('fails UNAVAILABLE with the last reason once the budget is spent, never with a stale answer', async () => {
    const d = scripted([refused]);
    await expect(readBarrier(d.driver, { applied: 5 }, opts)()).rejects.toMatchObject({
      codeName: 'UNAVAILABLE',
      message: expect.stringMatching(/not confirmed.*no known leader.*LOCAL/),
    });
    expect(d.calls()).toBeGreaterThan(1);
  });

  it('bounds a read index that never comes (a lost request, an apply that never happens)', async () => {
    const d = scripted([never]);
    await expect(readBarrier(d.driver, { applied: 5 }, opts)()).rejects.toMatchObject({
      codeName: 'UNAVAILABLE',
    });
  });

  it('stops when the caller cancels', async () => {
    const d = scripted([never]);
    const abort = new AbortController();
    const pending = readBarrier(
      d.driver,
      { applied: 5 },
      { ...opts, timeoutMs: 60_000 },
    )(undefined, abort.signal);
    abort.abort();
    await expect(pending).rejects.toMatchObject({ codeName: 'CANCELLED' });
  });

  it('refuses a consistency it does not know', async () => {
    const d = scripted([refused]);
    await expect(readBarrier(d.driver, { applied: 5 }, opts)(9 as ReadConsistency)).rejects.toMatchObject({
      codeName: 'INVALID_ARGUMENT',
    });
  });
});
