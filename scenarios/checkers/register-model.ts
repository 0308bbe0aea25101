/**
 * The register/CAS model: one string register per key (unset reads as ''). A read returns the
 * value; a write sets it; a cas sets it when it holds the expected value, and a cas refused because
 * the register held another value reports that value (`current`), which is checked as a read.
 */
import { type HistoryEntry, pairOps } from './history.ts';
import { type Model, type Operation, partitionByKey, span } from './model.ts';

/** Registers start empty; the node reads an unset key as ''. */
export const INITIAL_VALUE = '';

export type RegisterInput =
  | { f: 'read' }
  | { f: 'write'; value: string }
  | { f: 'cas'; expected: string; value: string };

export type RegisterOutput =
  | { f: 'read'; value: string }
  | { f: 'write' }
  | { f: 'cas'; swapped: true }
  | { f: 'cas'; swapped: false; current: string };

export type RegisterOp = Operation<RegisterInput, RegisterOutput>;

export const registerModel: Model<string, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => INITIAL_VALUE,
  step(state, input, output) {
    switch (input.f) {
      case 'read':
        if (output === undefined) return state;
        return output.f === 'read' && output.value === state ? state : undefined;
      case 'write':
        return input.value;
      case 'cas':
        if (output === undefined) return state === input.expected ? input.value : state;
        if (output.f !== 'cas') return undefined;
        if (output.swapped) return state === input.expected ? input.value : undefined;
        return state !== input.expected && state === output.current ? state : undefined;
    }
  },
  partition: partitionByKey,
  prune: pruneUnseenWrites,
  describeOperation: describeRegisterOp,
  describeState: (s) => `'${s}'`,
};

/**
 * Drops open writes and cas whose value no op ever mentions (no read returned it, no cas expected it
 * or was refused with it). Placing such an op sets a value that no completed op can then observe, so
 * until the next write only writes and open ops can follow it; leaving it (and the open cas in that
 * gap) out keeps every such order valid. Repeated until nothing more goes (an open cas dropped no
 * longer mentions its expected value).
 */
export function pruneUnseenWrites(ops: readonly RegisterOp[]): RegisterOp[] {
  let kept = [...ops];
  for (;;) {
    const mentioned = new Set<string>();
    for (const o of kept) {
      if (o.input.f === 'cas') mentioned.add(o.input.expected);
      if (o.output?.f === 'read') mentioned.add(o.output.value);
      if (o.output?.f === 'cas' && !o.output.swapped) mentioned.add(o.output.current);
    }
    const next = kept.filter(
      (o) => o.output !== undefined || o.input.f === 'read' || mentioned.has(o.input.value),
    );
    if (next.length === kept.length) return kept;
    kept = next;
  }
}

export function describeRegisterOp(op: RegisterOp): string {
  const head = `op ${op.id} p${op.process}`;
  const s = span(op);
  const i = op.input;
  const o = op.output;
  switch (i.f) {
    case 'read':
      return `${head} read ${op.key} → '${o?.f === 'read' ? o.value : '?'}' ${s}`;
    case 'write':
      return `${head} write ${op.key} := '${i.value}'${o ? '' : ' (unknown)'} ${s}`;
    case 'cas': {
      const result =
        o === undefined ? ' (unknown)' : o.f === 'cas' && !o.swapped ? ` refused, held '${o.current}'` : '';
      return `${head} cas ${op.key} '${i.expected}' → '${i.value}'${result} ${s}`;
    }
  }
}

/**
 * Pairs invokes with completions into register ops. Dropped: failed ops (they did not happen) except
 * a cas refused with the register's current value (kept as a read), and reads whose outcome is
 * unknown (they change nothing). An op invoked and never completed (the run ended) is open. Records
 * of other workloads (another `f`) are skipped.
 */
export function registerOperations(history: readonly HistoryEntry[]): RegisterOp[] {
  const ops: RegisterOp[] = [];
  const mine = history.filter((e) => e.f === 'read' || e.f === 'write' || e.f === 'cas');
  for (const { invoke: inv, done: e } of pairOps(mine)) {
    if (e === undefined || e.type === 'info') {
      // Unknown outcome (or still running when the history ended): a read changes nothing.
      if (inv.f !== 'read') ops.push(toOp(inv, Number.POSITIVE_INFINITY, undefined));
      continue;
    }
    if (e.type === 'fail') {
      if (inv.f === 'cas' && e.current !== undefined)
        ops.push(toOp(inv, e.time, { f: 'cas', swapped: false, current: e.current }));
      continue;
    }
    const output: RegisterOutput =
      inv.f === 'read'
        ? { f: 'read', value: e.value ?? INITIAL_VALUE }
        : inv.f === 'write'
          ? { f: 'write' }
          : { f: 'cas', swapped: true };
    ops.push(toOp(inv, e.time, output));
  }
  return ops;
}

function toOp(inv: HistoryEntry, ret: number, output: RegisterOutput | undefined): RegisterOp {
  const input: RegisterInput =
    inv.f === 'read'
      ? { f: 'read' }
      : inv.f === 'write'
        ? { f: 'write', value: inv.value ?? INITIAL_VALUE }
        : { f: 'cas', expected: inv.expected ?? INITIAL_VALUE, value: inv.value ?? INITIAL_VALUE };
  return { id: inv.id, process: inv.process, key: inv.key, input, output, call: inv.time, ret };
}
