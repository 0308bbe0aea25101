/**
 * What the linearizability search checks against: a sequential specification (a model) and the
 * operations of a history, as Porcupine has them. An operation whose outcome is unknown (`info`, or
 * still open when the run ended) has no output and returns at infinity: it may take effect at any
 * point after its invoke, or never.
 */

/** One operation of a history: its call and return times, its input and (if known) its output. */
export interface Operation<I, O> {
  /** The history's op id (invoke and completion share it). */
  id: number;
  /** The client process that issued it. */
  process: number;
  /** The partition it belongs to (a register's key, a VM's name); '' when the model has one. */
  key: string;
  input: I;
  /** undefined: the outcome is unknown (the op may or may not have happened). */
  output: O | undefined;
  call: number;
  /** Infinity when the outcome is unknown. */
  ret: number;
}

/**
 * A sequential specification. `step` must be pure: it returns the state after `op` took effect with
 * the output it had, or undefined when the op could not have returned that output in `state`. With
 * `output` undefined (an indeterminate op) it returns the state after the op took effect, whatever
 * it answered. States are compared with `equal` (default ===); keep them primitive (a string, a
 * number) where possible: the search caches visited (linearized set, state) pairs.
 */
export interface Model<S, I, O> {
  name: string;
  init(): S;
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** Splits the ops into independent histories (P-compositionality); default: by `key`. */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
  /**
   * Drops open ops no verdict can depend on (sound for this model only: the pruned partition is
   * linearizable iff the whole one is). Default: none dropped.
   */
  prune?(ops: readonly Operation<I, O>[]): Operation<I, O>[];
  equal?(a: S, b: S): boolean;
  /** A hash consistent with `equal` (default: none, states share a cache bucket per linearized set). */
  hash?(state: S): number;
  describeOperation(op: Operation<I, O>): string;
  describeState(state: S): string;
}

/** Groups ops by their key, keys in sorted order. */
export function partitionByKey<I, O>(ops: readonly Operation<I, O>[]): Operation<I, O>[][] {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const op of ops) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, list]) => list);
}

/** `[call, ret]` with ∞ for an open op. */
export function span(op: { call: number; ret: number }): string {
  return `[${op.call}, ${op.ret === Number.POSITIVE_INFINITY ? '∞' : op.ret}]`;
}

/** A string's FNV-1a hash (32 bits), for model `hash` functions. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
