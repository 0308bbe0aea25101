import { describe, expect, it } from 'vitest';
import { pick, randomInt, seededRandom } from './random.ts';

describe('seededRandom', () => {
  const draw = (seed: number, ...labels: string[]) => {
    const r = seededRandom(seed, ...labels);
    return Array.from({ length: 1000 }, () => r());
  };

  it('is reproducible per seed and labels, and stays in [0, 1)', () => {
    const a = draw(1, 'x');
    expect(draw(1, 'x')).toEqual(a);
    expect(draw(2, 'x')).not.toEqual(a);
    expect(draw(1, 'y')).not.toEqual(a);
    expect(draw(1)).not.toEqual(a);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('keeps labelled streams apart: labels are not concatenated', () => {
    expect(draw(1, 'ab', 'c')).not.toEqual(draw(1, 'a', 'bc'));
  });

  it('draws integers in [min, max) and picks every item', () => {
    const r = seededRandom(7, 'ints');
    const ints = Array.from({ length: 500 }, () => randomInt(r, 3, 6));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    const picked = new Set(Array.from({ length: 200 }, () => pick(r, ['a', 'b', 'c'])));
    expect(picked).toEqual(new Set(['a', 'b', 'c']));
    expect(() => pick(r, [])).toThrow(/no items/);
  });
});
