import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry, RegisterFn } from './history.ts';
import { checkLinearizable } from './linearizability.ts';
import { ok, registerHistory } from './testing.ts';

describe('checkLinearizable', () => {
  it('accepts a sequential history', () => {
    const v = checkLinearizable(
      registerHistory(
        ...ok(1, 0, 'write', 'a'),
        ...ok(2, 0, 'read', 'a'),
        ...ok(3, 0, 'cas', 'b', 'a'),
        ...ok(4, 0, 'read', 'b'),
      ),
    );
    expect(v.valid).toBe(true);
  });

  it('accepts concurrent writes seen in either order by overlapping reads', () => {
    const v = checkLinearizable(
      registerHistory(
        [1, 0, 'invoke', 'write', 'a'],
        [2, 1, 'invoke', 'write', 'b'],
        [3, 2, 'invoke', 'read'],
        [4, 3, 'invoke', 'read'],
        [3, 2, 'ok', 'read', 'b'],
        [1, 0, 'ok', 'write', 'a'],
        [2, 1, 'ok', 'write', 'b'],
        [4, 3, 'ok', 'read', 'a'],
      ),
    );
    // Order: write b, read b, write a, read a.
    expect(v.valid).toBe(true);
  });

  it('rejects a stale read after a write completed', () => {
    const v = checkLinearizable(
      registerHistory(...ok(1, 0, 'write', 'a'), ...ok(2, 0, 'write', 'b'), ...ok(3, 1, 'read', 'a')),
    );
    expect(v.valid).toBe(false);
    expect(v.explanation).toMatch(/key 'x' is not linearizable/);
    expect(v.explanation).toMatch(/read x → 'a'/);
  });

  it('rejects reads that see a value go back (new then old), even when concurrent with the write', () => {
    const v = checkLinearizable(
      registerHistory(
        [1, 0, 'invoke', 'write', 'a'],
        // Both reads fall while the write is in flight: the first sees its value, the second the old one.
        ...ok(2, 1, 'read', 'a'),
        ...ok(3, 2, 'read', ''),
        [1, 0, 'ok', 'write', 'a'],
      ),
    );
    expect(v.valid).toBe(false);
  });

  it('rejects a read of a value nobody wrote, and a cas that succeeded on the wrong value', () => {
    expect(checkLinearizable(registerHistory(...ok(1, 0, 'read', 'ghost'))).valid).toBe(false);
    expect(
      checkLinearizable(registerHistory(...ok(1, 0, 'write', 'a'), ...ok(2, 0, 'cas', 'c', 'b'))).valid,
    ).toBe(false);
  });

  it('lets an unknown write take effect late, or never; drops failed ops', () => {
    const late = registerHistory(
      [1, 0, 'invoke', 'write', 'a'],
      [1, 0, 'info', 'write', 'a'],
      ...ok(2, 1, 'read', ''),
      ...ok(3, 1, 'read', 'a'),
    );
    expect(checkLinearizable(late).valid).toBe(true);
    const never = registerHistory(
      [1, 0, 'invoke', 'write', 'a'],
      [1, 0, 'info', 'write', 'a'],
      ...ok(2, 1, 'read', ''),
    );
    expect(checkLinearizable(never).valid).toBe(true);
    // A failed write did not happen: reading its value is a violation.
    const failed = registerHistory(
      [1, 0, 'invoke', 'write', 'a'],
      [1, 0, 'fail', 'write', 'a'],
      ...ok(2, 1, 'read', 'a'),
    );
    expect(checkLinearizable(failed).valid).toBe(false);
  });

  it('checks keys independently and names the failing key', () => {
    const good = registerHistory(...ok(1, 0, 'write', 'a'));
    const bad = registerHistory(...ok(2, 1, 'read', 'zzz')).map((e) => ({ ...e, key: 'y' }));
    const v = checkLinearizable([...good, ...bad]);
    expect(v.valid).toBe(false);
    expect(v.keys.map((k) => [k.key, k.ok])).toEqual([
      ['x', true],
      ['y', false],
    ]);
    expect(v.explanation).toMatch(/key 'y'/);
  });

  it('accepts any history of a real atomic register with concurrent clients (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            f: fc.constantFrom<RegisterFn>('read', 'write', 'cas'),
            start: fc.integer({ min: 0, max: 100 }),
            len: fc.integer({ min: 1, max: 30 }),
            at: fc.double({ min: 0, max: 1, noNaN: true }),
            v: fc.constantFrom('a', 'b', 'c'),
            e: fc.constantFrom('', 'a', 'b', 'c'),
          }),
          { minLength: 1, maxLength: 14 },
        ),
        (specs) => {
          // Each op takes effect at a point inside [start, start+len]; apply in that order.
          const ops = specs.map((s, id) => ({ ...s, id, point: s.start + s.at * s.len }));
          let reg = '';
          const results = new Map<number, { type: 'ok' | 'fail'; value?: string }>();
          for (const o of [...ops].sort((a, b) => a.point - b.point)) {
            if (o.f === 'read') results.set(o.id, { type: 'ok', value: reg });
            else if (o.f === 'write') {
              reg = o.v;
              results.set(o.id, { type: 'ok', value: o.v });
            } else if (reg === o.e) {
              reg = o.v;
              results.set(o.id, { type: 'ok', value: o.v });
            } else results.set(o.id, { type: 'fail', value: o.v });
          }
          const history: HistoryEntry[] = [];
          for (const o of ops) {
            const base = {
              id: o.id,
              process: o.id,
              f: o.f,
              key: 'k',
              node: 'n1',
              transport: 'iroh' as const,
            };
            const r = results.get(o.id) as { type: 'ok' | 'fail'; value?: string };
            const value = o.f === 'read' ? undefined : o.v;
            history.push({
              ...base,
              type: 'invoke',
              value,
              expected: o.f === 'cas' ? o.e : undefined,
              time: o.start,
            });
            history.push({ ...base, type: r.type, value: r.value, time: o.start + o.len });
          }
          history.sort((a, b) => a.time - b.time);
          expect(checkLinearizable(history).valid).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('a malformed history', () => {
  const at = (time: number, e: Partial<HistoryEntry>): HistoryEntry =>
    ({
      id: 1,
      process: 0,
      key: 'x',
      node: 'n1',
      transport: 'grpc',
      f: 'write',
      value: 'a',
      time,
      ...e,
    }) as HistoryEntry;

  it('is refused with an error naming the op and what is wrong', () => {
    expect(() => checkLinearizable([at(1, { type: 'ok' })])).toThrow(
      'history: op 1 completes (ok) without an invoke',
    );
    expect(() => checkLinearizable([at(1, { type: 'invoke' }), at(2, { type: 'invoke' })])).toThrow(
      'history: op 1 invoked twice',
    );
    expect(() => checkLinearizable([at(5, { type: 'invoke' }), at(3, { type: 'ok' })])).toThrow(
      'history: op 1 completes (ok) at 3, before its invoke at 5',
    );
    expect(() => checkLinearizable([at(Number.NaN, { type: 'invoke' })])).toThrow(
      'history: op 1 (invoke) has no time (NaN)',
    );
  });
});
