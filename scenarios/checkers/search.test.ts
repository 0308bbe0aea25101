import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../node/lib/index.ts';
import { simulateRegister } from './generate.ts';
import { checkLinearizable } from './linearizability.ts';
import type { Model, Operation } from './model.ts';
import { type RegisterOp, registerModel } from './register-model.ts';
import { checkOperations, renderCounterexample } from './search.ts';
import { ok, registerHistory } from './testing.ts';

/**
 * The definition, by brute force: some order of the ops with a known outcome and any subset of the
 * open ones, respecting real time (p before o when p returned before o was called), is legal.
 */
function linearizableByBruteForce<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): boolean {
  const placed = new Array<boolean>(ops.length).fill(false);
  const completed = ops.filter((o) => o.output !== undefined).length;
  const go = (state: S, done: number): boolean => {
    if (done === completed) return true;
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i] as Operation<I, O>;
      if (placed[i]) continue;
      if (ops.some((p, j) => !placed[j] && j !== i && p.output !== undefined && p.ret < o.call)) continue;
      const after = model.step(state, o.input, o.output);
      if (after === undefined) continue;
      placed[i] = true;
      const ok = go(after, done + (o.output !== undefined ? 1 : 0));
      placed[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return go(model.init(), 0);
}

const registerOp = fc
  .record({
    f: fc.constantFrom('read', 'write', 'cas', 'cas-refused'),
    call: fc.integer({ min: 0, max: 12 }),
    len: fc.integer({ min: 0, max: 6 }),
    open: fc.boolean(),
    v: fc.constantFrom('a', 'b', 'c'),
    w: fc.constantFrom('', 'a', 'b'),
  })
  .map(({ f, call, len, open, v, w }): Omit<RegisterOp, 'id' | 'process'> => {
    const known = !open || f === 'read';
    const ret = known ? call + len : Number.POSITIVE_INFINITY;
    const key = 'x';
    if (f === 'read') return { key, input: { f: 'read' }, output: { f: 'read', value: w }, call, ret };
    if (f === 'write')
      return { key, input: { f: 'write', value: v }, output: known ? { f: 'write' } : undefined, call, ret };
    return {
      key,
      input: { f: 'cas', expected: w, value: v },
      output: !known
        ? undefined
        : f === 'cas'
          ? { f: 'cas', swapped: true }
          : { f: 'cas', swapped: false, current: v },
      call,
      ret,
    };
  });

describe('the linearizability search decides as the definition does', () => {
  it('agrees with a brute-force search over every order on small random register histories (property)', () => {
    fc.assert(
      fc.property(fc.array(registerOp, { minLength: 1, maxLength: 7 }), (specs) => {
        const ops: RegisterOp[] = specs.map((s, id) => ({ ...s, id, process: id }));
        const expected = linearizableByBruteForce(registerModel, ops);
        expect(checkOperations(registerModel, ops).valid).toBe(expected);
      }),
      { numRuns: 1500, seed: 15 },
    );
  });

  it('finds every history of a simulated atomic register linearizable (seeded, with open ops)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const ops = simulateRegister({ seed, ops: 300, keys: 2, processes: 6, infoRate: 0.05 });
      const r = checkOperations(registerModel, ops);
      expect(r.valid, `seed ${seed}: ${r.explanation}`).toBe(true);
    }
  });
});

/**
 * A stale read planted in a simulated history: a read R returns the value of a write W1 that a later
 * write W2 overwrote before R was called (W1 returned before W2 was called, W2 before R). Values are
 * unique, so nothing can bring W1's value back: no order explains R.
 */
function plantStaleRead(
  ops: RegisterOp[],
  seed: number,
): { ops: RegisterOp[]; read: RegisterOp } | undefined {
  const random = seededRandom(seed, 'stale-read');
  const writes = ops.filter((o) => o.input.f === 'write' && o.output !== undefined);
  const reads = ops.filter((o) => o.input.f === 'read' && o.output !== undefined);
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = reads[Math.floor(random() * reads.length)] as RegisterOp;
    const before = writes.filter((w) => w.key === r.key && w.ret < r.call);
    const stale = before.filter((w1) => before.some((w2) => w1.ret < w2.call));
    if (stale.length === 0) continue;
    const w1 = stale[Math.floor(random() * stale.length)] as RegisterOp;
    const value = (w1.input as { value: string }).value;
    const read = { ...r, output: { f: 'read' as const, value } };
    return { ops: ops.map((o) => (o === r ? read : o)), read };
  }
  return undefined;
}

describe('a stale read planted in a generated history fails the check', () => {
  it('is found in every seed, and the counterexample window holds the stale read', () => {
    let planted = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const valid = simulateRegister({ seed, ops: 200, keys: 2, processes: 5, infoRate: 0.03 });
      const bad = plantStaleRead(valid, seed);
      if (!bad) continue;
      planted++;
      const r = checkOperations(registerModel, bad.ops);
      expect(r.valid, `seed ${seed}`).toBe(false);
      const cx = r.partitions.find((p) => p.valid === false)?.counterexample;
      expect(cx, `seed ${seed}: a counterexample`).toBeDefined();
      expect(
        cx?.window.map((o) => o.id),
        renderCounterexample(cx as never),
      ).toContain(bad.read.id);
      expect(cx?.breaking.ret).toBeGreaterThanOrEqual(bad.read.ret);
    }
    expect(planted).toBeGreaterThanOrEqual(25);
  });
});

describe('a cas refused with the register value is a read of it', () => {
  /** Process 0 writes `writes` one after the other; then process 1's cas to 'c' is refused, the node saying it held `held`. */
  const refusedAfter = (writes: string[], expected: string, held: string) => {
    const id = writes.length + 1;
    return checkLinearizable(
      registerHistory(
        ...writes.flatMap((value, i) => ok(i + 1, 0, 'write', value)),
        [id, 1, 'invoke', 'cas', 'c', expected],
        [id, 1, 'fail', 'cas', 'c', expected, held],
      ),
    );
  };

  it('passes when the value it reports was there', () => {
    expect(refusedAfter(['a'], 'b', 'a').valid).toBe(true);
  });

  it('fails when it reports a value the register no longer held (a stale refusal)', () => {
    const v = refusedAfter(['a', 'b'], 'z', 'a');
    expect(v.valid).toBe(false);
    expect(v.explanation).toMatch(/cas x 'z' → 'c' refused, held 'a'/);
  });

  it('fails when the register held the expected value (the cas should have swapped)', () => {
    expect(refusedAfter(['a'], 'a', 'a').valid).toBe(false);
  });
});

describe('an op of unknown outcome is never closed early', () => {
  // The write is open from t=1; the read at t=3 sees what came first, the last one its value.
  it.each([
    ['may take effect long after later ops completed', '', true],
    ['takes effect at most once: its value cannot come back after being overwritten', 'late', false],
  ] as const)('%s', (_, firstRead, valid) => {
    const v = checkLinearizable(
      registerHistory(
        [1, 0, 'invoke', 'write', 'late'],
        [1, 0, 'info', 'write', 'late'],
        ...ok(2, 1, 'read', firstRead),
        ...ok(3, 1, 'write', 'b'),
        ...ok(4, 1, 'read', 'late'),
      ),
    );
    expect(v.valid).toBe(valid);
  });
});

describe('a history the search cannot decide within its budget', () => {
  it('is unknown, never false, with its size and open ops', () => {
    const ops = simulateRegister({ seed: 3, ops: 400, keys: 1, processes: 8, infoRate: 0.05 });
    const r = checkOperations(registerModel, ops, { maxSteps: 50 });
    expect(r.valid).toBe('unknown');
    const p = r.partitions[0];
    expect(p?.valid).toBe('unknown');
    expect(p?.ops).toBe(400);
    expect(p?.open).toBe(ops.filter((o) => o.output === undefined).length);
    expect(r.explanation).toMatch(/undecided .*'k0' \(400 ops, \d+ open\)/);
  });
});

describe('a counterexample', () => {
  it('names the window that cannot be ordered and the longest valid prefix', () => {
    const v = checkLinearizable(
      registerHistory(
        ...ok(1, 0, 'write', 'a'),
        ...ok(2, 0, 'write', 'b'),
        ...ok(3, 0, 'read', 'b'),
        ...ok(4, 1, 'read', 'a'),
        ...ok(5, 0, 'write', 'c'),
      ),
    );
    const cx = v.keys[0]?.counterexample;
    expect(cx?.breaking.id).toBe(4);
    // The prefix ends with the stale read: the write of c came after and is not in it.
    expect(cx?.prefixOps).toBe(4);
    expect(cx?.window.map((o) => o.id)).toEqual([2, 3, 4]);
    expect(cx?.longestPrefix.map((o) => o.id)).toEqual([1, 2, 3]);
    expect(cx?.stateAfterPrefix).toBe("'b'");
    const text = renderCounterexample(cx as never);
    expect(text).toContain("linearizable until op 4 p1 read x → 'a' [7, 8] completed");
    expect(text).toContain("longest valid order (3 ops), ending in state 'b'");
    // JSON-safe: an open op's return is null, not Infinity.
    expect(JSON.parse(JSON.stringify(cx))).toEqual(cx);
  });
});
