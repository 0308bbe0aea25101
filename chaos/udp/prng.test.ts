import { describe, expect, it } from 'vitest';
import { seededRandom } from './prng.ts';

describe('seededRandom', () => {
  it('is reproducible per seed and labels, and stays in [0, 1)', () => {
    const draw = (seed: number, label: string) => {
      const r = seededRandom(seed, label);
      return Array.from({ length: 1000 }, () => r.next());
    };
    const a = draw(1, 'x');
    expect(draw(1, 'x')).toEqual(a);
    expect(draw(2, 'x')).not.toEqual(a);
    expect(draw(1, 'y')).not.toEqual(a);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});
