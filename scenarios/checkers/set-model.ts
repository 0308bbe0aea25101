/**
 * Sets (append-only, one per key): `add` puts an element in, `read` returns every element. Two
 * judges of the same history:
 * - `setModel`, for the linearizability search: every read returns exactly the set as of some point
 *   in its interval (catches stale and non-monotonic reads);
 * - `checkSet`, Jepsen's set checker: every acknowledged add is in the final read (no lost writes),
 *   nothing read was never added (no phantom elements). It sees only the final read and the adds.
 *
 * Records (`OpRecord`): `add` (or `set-add`) with the element in `value`; `read` (or `set-read`) whose
 * ok carries the elements in `elements`, or as a JSON array of strings in `value`. A failed add did not happen; an add with unknown outcome may
 * have happened any time after its invoke, or never.
 */
import { type OpRecord, pairOps } from './history.ts';
import { type Model, type Operation, partitionByKey, span } from './model.ts';
import type { Validity } from './search.ts';

export type SetInput = { f: 'add'; element: string } | { f: 'read' };
export type SetOutput = { f: 'add' } | { f: 'read'; elements: string[] };
export type SetOp = Operation<SetInput, SetOutput>;

/**
 * A state is a bitmask over the elements, each interned once (in this model's table) on first sight:
 * equal sets are equal bigints, and a step costs a few word operations.
 */
export function makeSetModel(): Model<bigint, SetInput, SetOutput> {
  const index = new Map<string, bigint>();
  const names: string[] = [];
  const bit = (element: string) => {
    let b = index.get(element);
    if (b === undefined) {
      b = 1n << BigInt(names.length);
      index.set(element, b);
      names.push(element);
    }
    return b;
  };
  const readMasks = new WeakMap<SetOutput, bigint>();
  const maskOf = (output: SetOutput & { f: 'read' }) => {
    let m = readMasks.get(output);
    if (m === undefined) {
      m = 0n;
      for (const e of output.elements) m |= bit(e);
      readMasks.set(output, m);
    }
    return m;
  };
  const addBits = new WeakMap<SetInput, bigint>();
  return {
    name: 'set',
    init: () => 0n,
    step(state, input, output) {
      if (input.f === 'add') {
        let b = addBits.get(input);
        if (b === undefined) {
          b = bit(input.element);
          addBits.set(input, b);
        }
        return state | b;
      }
      if (output === undefined) return state;
      if (output.f !== 'read') return undefined;
      return maskOf(output) === state ? state : undefined;
    },
    partition: partitionByKey,
    hash: (s) => Number(BigInt.asUintN(30, s ^ (s >> 30n) ^ (s >> 60n) ^ (s >> 90n))),
    describeOperation(op) {
      const head = `op ${op.id} p${op.process}`;
      if (op.input.f === 'add')
        return `${head} add ${op.key} ${op.input.element}${op.output ? '' : ' (unknown)'} ${span(op)}`;
      const els = op.output?.f === 'read' ? `{${op.output.elements.join(', ')}}` : '?';
      return `${head} read ${op.key} → ${els} ${span(op)}`;
    },
    describeState: (s) => `{${names.filter((_, i) => (s >> BigInt(i)) & 1n).join(', ')}}`,
  };
}

/** The set model with a table of its own, for one check (`makeSetModel` for another). */
export const setModel = makeSetModel();

function readElements(record: OpRecord): string[] {
  if (record.elements !== undefined) {
    if (!Array.isArray(record.elements) || !record.elements.every((x) => typeof x === 'string'))
      throw new Error(`history: set read op ${record.id}: elements must be an array of strings`);
    return [...record.elements];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.value ?? '');
  } catch {
    throw new Error(
      `history: set read op ${record.id} has no JSON array of elements in value (${record.value})`,
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string'))
    throw new Error(`history: set read op ${record.id}: value must be a JSON array of strings`);
  return parsed;
}

const SET_FNS = new Set(['add', 'read', 'set-add', 'set-read']);

/**
 * The set ops of a history (f add/read, or set-add/set-read): failed ops and reads of unknown outcome
 * dropped. When any record is named set-…, only those are set ops (a plain `read` is then a register's).
 */
export function setOperations(history: readonly OpRecord[]): SetOp[] {
  const ops: SetOp[] = [];
  const prefixed = history.some((r) => r.f.startsWith('set-'));
  const mine = history.filter((r) => SET_FNS.has(r.f) && r.f.startsWith('set-') === prefixed);
  for (const { invoke, done } of pairOps(mine)) {
    const f = invoke.f.replace(/^set-/, '');
    if (done?.type === 'fail') continue;
    const known = done?.type === 'ok';
    if (f === 'read' && !known) continue;
    const input: SetInput = f === 'add' ? { f: 'add', element: invoke.value ?? '' } : { f: 'read' };
    const output: SetOutput | undefined = !known
      ? undefined
      : input.f === 'add'
        ? { f: 'add' }
        : { f: 'read', elements: readElements(done as OpRecord) };
    ops.push({
      id: invoke.id,
      process: invoke.process,
      key: invoke.key,
      input,
      output,
      call: invoke.time,
      ret: known ? (done as OpRecord).time : Number.POSITIVE_INFINITY,
    });
  }
  return ops;
}

export interface SetKeyEvidence {
  key: string;
  attempted: number;
  acknowledged: number;
  /**
   * The final read: the last ok read marked `final` (made after the heal), or else the last ok read
   * invoked after every acknowledged add of its key had completed.
   */
  finalRead?: { id: number; time: number; size: number } | undefined;
  /** Acknowledged adds missing from the final read. */
  lost: string[];
  /** Elements some read returned that no add tried, or only adds that failed (did not happen). */
  unexpected: string[];
  /** Adds of unknown outcome that the final read shows happened. */
  recovered: string[];
}

export interface SetCheck {
  valid: Validity;
  explanation: string;
  keys: SetKeyEvidence[];
}

/**
 * Jepsen's set checker over each key: lost acknowledged adds and unexpected elements. A key whose
 * adds no read follows is `unknown` (nothing shows what survived). An add still open is not waited
 * for: the final read must only follow every completed add.
 */
export function checkSet(history: readonly OpRecord[]): SetCheck {
  const ops = setOperations(history);
  const finalIds = new Set(history.filter((r) => r.final === true && r.type === 'ok').map((r) => r.id));
  const keys: SetKeyEvidence[] = [];
  for (const part of partitionByKey(ops)) {
    const key = (part[0] as SetOp).key;
    const adds = part.filter((o) => o.input.f === 'add');
    const element = (o: SetOp) => (o.input as { element: string }).element;
    const attempted = new Set(adds.map(element));
    const acked = adds.filter((o) => o.output !== undefined);
    const lastAdd = Math.max(Number.NEGATIVE_INFINITY, ...acked.map((o) => o.ret));
    const reads = part.filter((o) => o.input.f === 'read' && o.output?.f === 'read');
    // The reads marked final when the workload made them; else those invoked after the last acknowledged add.
    const marked = reads.filter((o) => finalIds.has(o.id));
    const finals = (marked.length > 0 ? marked : reads.filter((o) => o.call > lastAdd)).sort(
      (a, b) => a.ret - b.ret,
    );
    const final = finals[finals.length - 1];
    const unexpected = new Set<string>();
    for (const r of reads)
      for (const e of (r.output as { elements: string[] }).elements) if (!attempted.has(e)) unexpected.add(e);
    const finalSet = new Set(final ? (final.output as { elements: string[] }).elements : []);
    keys.push({
      key,
      attempted: attempted.size,
      acknowledged: acked.length,
      finalRead: final ? { id: final.id, time: final.ret, size: finalSet.size } : undefined,
      lost: final ? acked.map(element).filter((e) => !finalSet.has(e)) : [],
      unexpected: [...unexpected].sort(),
      recovered: final
        ? adds.filter((o) => o.output === undefined && finalSet.has(element(o))).map(element)
        : [],
    });
  }
  const bad = keys.filter((k) => k.lost.length > 0 || k.unexpected.length > 0);
  const undecided = keys.filter((k) => !k.finalRead && k.acknowledged > 0 && k.unexpected.length === 0);
  if (bad.length > 0) {
    const parts = bad.map(
      (k) =>
        `'${k.key}': ${k.lost.length} acknowledged adds lost (${k.lost.slice(0, 5).join(', ')}${k.lost.length > 5 ? ', …' : ''})` +
        (k.unexpected.length > 0
          ? `, read elements never added: ${k.unexpected.slice(0, 5).join(', ')}`
          : ''),
    );
    return { valid: false, explanation: `set: ${parts.join('; ')}`, keys };
  }
  if (undecided.length > 0)
    return {
      valid: 'unknown',
      explanation: `set: no read after the last acknowledged add of ${undecided.map((k) => `'${k.key}'`).join(', ')}`,
      keys,
    };
  const recovered = keys.reduce((sum, k) => sum + k.recovered.length, 0);
  return {
    valid: true,
    explanation: `set: every acknowledged add is in the final read of its key (${keys.length} keys, ${recovered} adds of unknown outcome found)`,
    keys,
  };
}
