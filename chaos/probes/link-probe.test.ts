import { describe, expect, it } from 'vitest';
import { answered, fastest } from './link-probe.ts';

/** A probe whose calls fail as listed (an Error) or answer (a number of ms), in order. */
const scripted = (outcomes: (number | Error)[]) => {
  let calls = 0;
  return {
    calls: () => calls,
    rtt: async () => {
      const o = outcomes[calls++];
      if (o === undefined) throw new Error('no more outcomes');
      if (o instanceof Error) throw o;
      return o;
    },
  };
};

describe('answered: a baseline call before any fault', () => {
  it('asks again after a lost call, and returns the first answer', async () => {
    const p = scripted([new Error('exit 124'), 12]);
    expect(await answered(p, 3)).toBe(12);
    expect(p.calls()).toBe(2);
  });

  it('gives up after its tries, naming every failure', async () => {
    const p = scripted([new Error('exit 124'), new Error('connection refused'), 9]);
    await expect(answered(p, 2)).rejects.toThrow('2 tries, no answer: exit 124; connection refused');
    expect(p.calls()).toBe(2);
  });

  it('fails as the call did when asked once', async () => {
    await expect(answered(scripted([new Error('exit 124')]), 1)).rejects.toThrow(/^exit 124$/);
  });

  it('lets fastest ask each round trip again before any fault', async () => {
    const p = scripted([7, new Error('exit 124'), 5]);
    expect(await fastest(p, 2, 5000, 3)).toBe(5);
    await expect(fastest(scripted([7, new Error('exit 124')]), 2)).rejects.toThrow(/^exit 124$/);
  });
});
