import { describe, expect, it } from 'vitest';
import { pick, randomInt, seededRandom } from '../../node/lib/index.ts';
import type { OpRecord } from './history.ts';
import { checkOperations } from './search.ts';
import { checkSet, setModel, setOperations } from './set-model.ts';
import { ok, type Row } from './testing.ts';

/** Rows [id, process, type, f, value] at t = 1, 2, …; a read's value is its elements. */
function h(...rows: Row<'add' | 'read', string | string[]>[]): OpRecord[] {
  return rows.map(([id, process, type, f, value], i) => ({
    id,
    process,
    type,
    f,
    key: 's',
    value: Array.isArray(value) ? JSON.stringify(value) : value,
    time: i + 1,
  }));
}

/**
 * A seeded run of a real set: clients add unique elements concurrently (some adds time out and may
 * or may not have happened), read now and then, and one client reads at the end. Each op takes
 * effect at a point inside its interval.
 */
function simulateSet(seed: number, adds: number): OpRecord[] {
  const random = seededRandom(seed, 'set-sim');
  const planned: {
    id: number;
    process: number;
    f: 'add' | 'read';
    el?: string;
    call: number;
    ret: number;
    point: number;
    happens: boolean;
    info: boolean;
  }[] = [];
  const clocks = [0, 1, 2, 3];
  for (let id = 0; id < adds * 1.5; id++) {
    const p = randomInt(random, 0, clocks.length);
    const call = clocks[p] as number;
    const ret = call + 1 + randomInt(random, 0, 10);
    const f = random() < 0.7 ? 'add' : 'read';
    const info = f === 'add' && random() < 0.1;
    planned.push({
      id,
      process: p,
      f,
      el: f === 'add' ? `e${id}` : undefined,
      call,
      ret,
      point: call + random() * (ret - call),
      happens: !info || random() < 0.5,
      info,
    });
    clocks[p] = ret + 1;
  }
  const end = Math.max(...clocks) + 5;
  planned.push({
    id: planned.length,
    process: 9,
    f: 'read',
    call: end,
    ret: end + 2,
    point: end + 1,
    happens: true,
    info: false,
  });
  const set = new Set<string>();
  const seen = new Map<number, string[]>();
  for (const p of [...planned].sort((a, b) => a.point - b.point)) {
    if (!p.happens) continue;
    if (p.f === 'add') set.add(p.el as string);
    else seen.set(p.id, [...set].sort());
  }
  const records: OpRecord[] = [];
  for (const p of planned) {
    records.push({
      id: p.id,
      process: p.process,
      type: 'invoke',
      f: p.f,
      key: 's',
      value: p.el,
      time: p.call,
    });
    records.push({
      id: p.id,
      process: p.process,
      type: p.info ? 'info' : 'ok',
      f: p.f,
      key: 's',
      value: p.f === 'read' ? JSON.stringify(seen.get(p.id)) : p.el,
      time: p.ret,
    });
  }
  return records.sort((a, b) => a.time - b.time);
}

/** The last read's record (the final read), to plant defects in. */
function finalRead(history: OpRecord[]): OpRecord {
  return history.filter((r) => r.f === 'read' && r.type === 'ok').at(-1) as OpRecord;
}

describe('set: every acknowledged add is in the final read, nothing read was never added', () => {
  it('passes a run of a real set, including adds of unknown outcome found or not', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const history = simulateSet(seed, 60);
      expect(checkSet(history).valid, `seed ${seed}`).toBe(true);
      expect(checkOperations(setModel, setOperations(history)).valid, `seed ${seed}`).toBe(true);
    }
  });

  it('fails when the final read lacks an acknowledged add (a lost write), naming it', () => {
    const history = h(...ok(1, 0, 'add', 'a'), ...ok(2, 1, 'add', 'b'), ...ok(3, 0, 'read', ['b']));
    const r = checkSet(history);
    expect(r.valid).toBe(false);
    expect(r.keys[0]?.lost).toEqual(['a']);
    expect(r.explanation).toMatch(/'s': 1 acknowledged adds lost \(a\)/);
  });

  it('fails when a read returns an element nobody added, or whose add failed', () => {
    const history = h(
      [1, 0, 'invoke', 'add', 'a'],
      [1, 0, 'fail', 'add', 'a'],
      ...ok(2, 1, 'read', ['a', 'ghost']),
    );
    const r = checkSet(history);
    expect(r.valid).toBe(false);
    expect(r.keys[0]?.unexpected).toEqual(['a', 'ghost']);
  });

  it('is unknown when no read follows the adds (nothing shows what survived)', () => {
    const history = h(...ok(1, 0, 'add', 'a'));
    expect(checkSet(history).valid).toBe('unknown');
  });

  it('catches in generated runs a lost acknowledged add planted in the final read (seeded)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const history = simulateSet(seed, 60);
      const last = finalRead(history);
      const elements = JSON.parse(last.value as string) as string[];
      const acked = new Set(history.filter((r) => r.f === 'add' && r.type === 'ok').map((r) => r.value));
      const victim = pick(
        seededRandom(seed, 'victim'),
        elements.filter((e) => acked.has(e)),
      );
      last.value = JSON.stringify(elements.filter((e) => e !== victim));
      const r = checkSet(history);
      expect(r.valid, `seed ${seed}`).toBe(false);
      expect(r.keys[0]?.lost, `seed ${seed}`).toEqual([victim]);
      // The linearizability check sees it too: the final read misses an add that completed before it.
      const t0 = performance.now();
      const rr = checkOperations(setModel, setOperations(history));
      console.log(
        seed,
        performance.now() - t0,
        rr.partitions.map((p) => `${p.ops}/${p.open}/${p.steps}`),
      );
      expect(rr.valid, `seed ${seed}`).toBe(false);
    }
  });
});

describe('set linearizability: every read is the set as of one point in its interval', () => {
  it('fails a read that goes back in time (an element seen, then gone)', () => {
    const history = h(
      [1, 0, 'invoke', 'add', 'a'],
      // Both reads fall while the add is in flight: the first sees its element, the second no longer.
      ...ok(2, 1, 'read', ['a']),
      ...ok(3, 1, 'read', []),
      [1, 0, 'ok', 'add', 'a'],
    );
    // The final-read checker cannot see this (there is no read after the add completed)…
    expect(checkSet(history).valid).toBe('unknown');
    // …the linearizability search does.
    const r = checkOperations(setModel, setOperations(history));
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/read s → \{\}/);
  });

  it('lets an add of unknown outcome appear late, but not disappear again', () => {
    const late = h(
      [1, 0, 'invoke', 'add', 'a'],
      [1, 0, 'info', 'add', 'a'],
      ...ok(2, 1, 'read', []),
      ...ok(3, 1, 'read', ['a']),
    );
    expect(checkOperations(setModel, setOperations(late)).valid).toBe(true);
    const gone = [...late, ...h(...ok(4, 1, 'read', [])).map((r) => ({ ...r, time: r.time + 10 }))];
    expect(checkOperations(setModel, setOperations(gone)).valid).toBe(false);
  });

  it('refuses a read record without its elements, naming the op', () => {
    const bad = h(...ok(1, 0, 'read', 'a,b'));
    expect(() => setOperations(bad)).toThrow(/set read op 1 has no JSON array of elements/);
  });
});

describe('records named by workload (set-…) with the elements in their own field', () => {
  it('are read like the plain ones, and plain reads beside them are left to the registers', () => {
    const history: OpRecord[] = [
      { id: 1, process: 0, type: 'invoke', f: 'set-add', key: 's', value: 'a', time: 1 },
      { id: 1, process: 0, type: 'ok', f: 'set-add', key: 's', value: 'a', time: 2 },
      { id: 9, process: 2, type: 'invoke', f: 'read', key: 'k0', time: 3 },
      { id: 9, process: 2, type: 'ok', f: 'read', key: 'k0', value: 'not a set', time: 4 },
      { id: 2, process: 1, type: 'invoke', f: 'set-read', key: 's', time: 5 },
      { id: 2, process: 1, type: 'ok', f: 'set-read', key: 's', value: 'a', elements: [], time: 6 },
    ];
    expect(setOperations(history).map((o) => o.id)).toEqual([1, 2]);
    expect(checkSet(history).keys[0]?.lost).toEqual(['a']);
  });
});

describe('the final read', () => {
  it('is the read the workload marked final when there is one, even if an add ended after its invoke', () => {
    const history: OpRecord[] = [
      { id: 1, process: 0, type: 'invoke', f: 'set-add', key: 's', value: 'a', time: 1 },
      { id: 2, process: 1, type: 'invoke', f: 'set-read', key: 's', time: 2 },
      { id: 1, process: 0, type: 'ok', f: 'set-add', key: 's', value: 'a', time: 3 },
      { id: 2, process: 1, type: 'ok', f: 'set-read', key: 's', elements: [], final: true, time: 4 },
    ];
    const r = checkSet(history);
    expect(r.keys[0]?.finalRead?.id).toBe(2);
    expect(r.valid).toBe(false);
    expect(r.keys[0]?.lost).toEqual(['a']);
  });
});
