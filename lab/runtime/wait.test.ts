import { describe, expect, it } from 'vitest';
import { WaitTimeoutError, waitUntil } from './wait.ts';

describe('waitUntil', () => {
  it('resolves with the first value that holds', async () => {
    let n = 0;
    const got = await waitUntil({
      what: 'three',
      boundMs: 5000,
      intervalMs: 1,
      probe: async () => ++n,
      holds: (v) => v >= 3,
    });
    expect(got).toBe(3);
  });

  it('gives up after its bound naming what it waited for and what it last saw', async () => {
    let n = 0;
    const waiting = waitUntil({
      what: 'a leader',
      boundMs: 50,
      intervalMs: 5,
      probe: async () => {
        n += 1;
        if (n % 2 === 0) throw new Error('no answer');
        return { role: 'pre-candidate', n };
      },
      holds: () => false,
      show: (v) => `${v.role} (look ${v.n})`,
    });
    await expect(waiting).rejects.toThrow(WaitTimeoutError);
    await expect(waiting).rejects.toThrow(
      /gave up after 50 ms waiting for a leader; last saw: (pre-candidate \(look \d+\)|error: no answer)/,
    );
  });
});
