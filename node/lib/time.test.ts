import { describe, expect, it } from 'vitest';
import { sleep, TimeoutError, within, withTimeout } from './time.ts';

describe('sleep', () => {
  it('ends early when its signal aborts', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, stop.signal);
    stop.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('returns at once for an aborted signal', async () => {
    await sleep(60_000, AbortSignal.abort());
  });
});

describe('withTimeout', () => {
  it('passes the value and the failure of a promise that settles in time', async () => {
    await expect(withTimeout(Promise.resolve(5), 1000, 'five')).resolves.toBe(5);
    await expect(withTimeout(Promise.reject(new Error('no')), 1000, 'five')).rejects.toThrow('no');
  });

  it('names what did not finish', async () => {
    const never = new Promise<never>(() => {});
    const err = await withTimeout(never, 10, 'the probe of n1-n2').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('the probe of n1-n2 did not finish within 10 ms');
  });

  it('within() gives the fallback on failure or time-out', async () => {
    expect(await within(Promise.reject(new Error('x')), 1000, 'fb')).toBe('fb');
    expect(await within(new Promise(() => {}), 10, null)).toBe(null);
    expect(await within(Promise.resolve(1), 1000, null)).toBe(1);
  });
});
