import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry, RegisterFn } from './history.ts';
import { checkLinearizable } from './linearizability.ts';

/** A compact way to write histories: [id, process, type, f, value?, expected?] at time t. */
let clock = 0;
function h(...rows: [number, number, HistoryEntry['type'], RegisterFn, string?, string?][]): HistoryEntry[] {
  clock = 0;
  return rows.map(([id, process, type, f, value, expected]) => ({
    id,
    process,
    type,
    f,
    key: 'x',
    value,
    expected,
    node: 'n1',
    transport: 'grpc',
    time: ++clock,
  }));
}

describe('checkLinearizable', () => {
  it('accepts a sequential history', () => {
    const v = checkLinearizable(
      h(
        [1, 0, 'invoke', 'write', 'a'],
        [1, 0, 'ok', 'write', 'a'],
        [2, 0, 'invoke', 'read'],
        [2, 0, 'ok', 'read', 'a'],
        [3, 0, 'invoke', 'cas', 'b', 'a'],
        [3, 0, 'ok', 'cas', 'b', 'a'],
        [4, 0, 'invoke', 'read'],
        [4, 0, 'ok', 'read', 'b'],
      ),
    );
    expect(v.valid).toBe(true);
  });

  it('accepts concurrent writes seen in either order by overlapping reads', () => {
    const v = checkLinearizable(
      h(
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
      h(
        [1, 0, 'invoke', 'write', 'a'],
        [1, 0, 'ok', 'write', 'a'],
        [2, 0, 'invoke', 'write', 'b'],
        [2, 0, 'ok', 'write', 'b'],
        [3, 1, 'invoke', 'read'],
        [3, 1, 'ok', 'read', 'a'],
      ),
    );
    expect(v.valid).toBe(false);
    expect(v.explanation).toMatch(/key 'x' is not linearizable/);
    expect(v.explanation).toMatch(/read x → 'a'/);
  });

  it('rejects reads that see a value go back (new then old), even when concurrent with the write', () => {
    const v = checkLinearizable(
      h(
        [1, 0, 'invoke', 'write', 'a'],
        [2, 1, 'invoke', 'read'],
        [2, 1, 'ok', 'read', 'a'],
        [3, 2, 'invoke', 'read'],
        [3, 2, 'ok', 'read', ''],
        [1, 0, 'ok', 'write', 'a'],
      ),
    );
    expect(v.valid).toBe(false);
  });

  it('rejects a read of a value nobody wrote, and a cas that succeeded on the wrong value', () => {
    expect(checkLinearizable(h([1, 0, 'invoke', 'read'], [1, 0, 'ok', 'read', 'ghost'])).valid).toBe(false);
    expect(
      checkLinearizable(
        h(
          [1, 0, 'invoke', 'write', 'a'],
          [1, 0, 'ok', 'write', 'a'],
          [2, 0, 'invoke', 'cas', 'c', 'b'],
          [2, 0, 'ok', 'cas', 'c', 'b'],
        ),
      ).valid,
    ).toBe(false);
  });

  it('lets an unknown write take effect late, or never; drops failed ops', () => {
    const late = h(
      [1, 0, 'invoke', 'write', 'a'],
      [1, 0, 'info', 'write', 'a'],
      [2, 1, 'invoke', 'read'],
      [2, 1, 'ok', 'read', ''],
      [3, 1, 'invoke', 'read'],
      [3, 1, 'ok', 'read', 'a'],
    );
    expect(checkLinearizable(late).valid).toBe(true);
    const never = h(
      [1, 0, 'invoke', 'write', 'a'],
      [1, 0, 'info', 'write', 'a'],
      [2, 1, 'invoke', 'read'],
      [2, 1, 'ok', 'read', ''],
    );
    expect(checkLinearizable(never).valid).toBe(true);
    // A failed write did not happen: reading its value is a violation.
    const failed = h(
      [1, 0, 'invoke', 'write', 'a'],
      [1, 0, 'fail', 'write', 'a'],
      [2, 1, 'invoke', 'read'],
      [2, 1, 'ok', 'read', 'a'],
    );
    expect(checkLinearizable(failed).valid).toBe(false);
  });

  it('checks keys independently and names the failing key', () => {
    const good = h([1, 0, 'invoke', 'write', 'a'], [1, 0, 'ok', 'write', 'a']);
    const bad = h([2, 1, 'invoke', 'read'], [2, 1, 'ok', 'read', 'zzz']).map((e) => ({ ...e, key: 'y' }));
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
