import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedBuffer } from './bounded-buffer.ts';

describe('BoundedBuffer', () => {
  it('drops the oldest beyond its bound and counts them', () => {
    const b = new BoundedBuffer<number>(3);
    for (let i = 1; i <= 5; i++) b.push(i);
    expect(b.length).toBe(3);
    expect(b.dropped).toBe(2);
    expect(b.take(10)).toEqual([3, 4, 5]);
  });

  it('takes in order, in batches', () => {
    const b = new BoundedBuffer<number>(10);
    for (let i = 0; i < 7; i++) b.push(i);
    expect(b.take(3)).toEqual([0, 1, 2]);
    expect(b.take(3)).toEqual([3, 4, 5]);
    expect(b.take(3)).toEqual([6]);
    expect(b.dropped).toBe(0);
  });

  it('clear counts what it throws away', () => {
    const b = new BoundedBuffer<string>(4);
    b.push('a');
    b.push('b');
    b.clear();
    expect(b.length).toBe(0);
    expect(b.dropped).toBe(2);
  });

  it('never holds more than its capacity; kept + dropped + taken = pushed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }),
        (cap, ops) => {
          const b = new BoundedBuffer<number>(cap);
          let pushed = 0;
          let taken = 0;
          for (const op of ops) {
            if (op < 15) {
              b.push(pushed++);
            } else {
              taken += b.take(op - 14).length;
            }
            expect(b.length).toBeLessThanOrEqual(cap);
          }
          expect(b.length + b.dropped + taken).toBe(pushed);
        },
      ),
    );
  });

  it('rejects a capacity below one', () => {
    expect(() => new BoundedBuffer(0)).toThrow(/capacity/);
  });
});
