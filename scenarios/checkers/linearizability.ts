/**
 * Linearizability of per-key registers (pure): a Wing–Gong search with Lowe's memoisation, as
 * Porcupine does it. Each key is checked on its own (a register history is linearizable iff each
 * key's is). Failed ops did not happen and are dropped; ops with an unknown outcome (info) may have
 * taken effect at any time after their invoke, or never — their return is at infinity.
 */
import type { HistoryEntry, RegisterFn } from './history.ts';

/** Registers start empty; the node reads an unset key as ''. */
export const INITIAL_VALUE = '';

export interface Operation {
  id: number;
  process: number;
  f: RegisterFn;
  key: string;
  value?: string | undefined;
  expected?: string | undefined;
  /** A read's result; undefined when unknown. */
  output?: string | undefined;
  call: number;
  /** Infinity for an op whose outcome is unknown. */
  ret: number;
}

export interface KeyVerdict {
  key: string;
  ok: boolean;
  /** Ops checked for this key. */
  ops: number;
  /** When not ok: the op no order could place, and the longest order found. */
  stuckAt?: Operation | undefined;
  longestPrefix?: Operation[] | undefined;
  /** The search gave up (budget spent): neither proven nor refuted. */
  unknown?: boolean | undefined;
}

export interface LinearizabilityVerdict {
  valid: boolean | 'unknown';
  keys: KeyVerdict[];
  /** Human summary of the first failing key. */
  explanation?: string | undefined;
}

/** Pairs invokes with completions; drops failed ops and reads whose outcome is unknown. */
export function operationsOf(history: readonly HistoryEntry[]): Operation[] {
  const open = new Map<number, HistoryEntry>();
  const ops: Operation[] = [];
  for (const e of history) {
    if (e.type === 'invoke') {
      if (open.has(e.id)) throw new Error(`history: op ${e.id} invoked twice`);
      open.set(e.id, e);
      continue;
    }
    const inv = open.get(e.id);
    if (!inv) throw new Error(`history: op ${e.id} completes (${e.type}) without an invoke`);
    open.delete(e.id);
    if (e.type === 'fail') continue;
    if (e.type === 'info' && inv.f === 'read') continue;
    ops.push(toOp(inv, e.type === 'ok' ? e : undefined));
  }
  // Invoked and never completed (the run ended): unknown outcome.
  for (const inv of open.values()) if (inv.f !== 'read') ops.push(toOp(inv, undefined));
  return ops;
}

function toOp(inv: HistoryEntry, ok: HistoryEntry | undefined): Operation {
  return {
    id: inv.id,
    process: inv.process,
    f: inv.f,
    key: inv.key,
    value: inv.value,
    expected: inv.expected,
    output: inv.f === 'read' ? ok?.value : undefined,
    call: inv.time,
    ret: ok ? ok.time : Number.POSITIVE_INFINITY,
  };
}

/** The register's step: whether `op` may take effect in `state`, and the state after. */
function step(state: string, op: Operation): string | undefined {
  switch (op.f) {
    case 'read':
      return op.output === undefined || op.output === state ? state : undefined;
    case 'write':
      return op.value ?? INITIAL_VALUE;
    case 'cas':
      // A cas that returned ok swapped; one with an unknown outcome swaps iff it matches.
      if (op.ret === Number.POSITIVE_INFINITY) return state === op.expected ? (op.value ?? '') : state;
      return state === op.expected ? (op.value ?? '') : undefined;
  }
}

interface Entry {
  op: Operation;
  isCall: boolean;
  /** The call's matching return entry. */
  match?: Entry;
  prev: Entry | undefined;
  next: Entry | undefined;
  index: number;
}

export interface CheckOptions {
  /** Search steps per key before giving up with `unknown` (default 2 000 000). */
  maxSteps?: number;
}

export function checkKey(key: string, ops: readonly Operation[], options: CheckOptions = {}): KeyVerdict {
  const maxSteps = options.maxSteps ?? 2_000_000;
  const events: { op: Operation; isCall: boolean; time: number; index: number }[] = [];
  ops.forEach((op, index) => {
    events.push({ op, isCall: true, time: op.call, index }, { op, isCall: false, time: op.ret, index });
  });
  // Calls before returns at equal times: ops that touch count as concurrent.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Entry = { op: ops[0] as Operation, isCall: false, prev: undefined, next: undefined, index: -1 };
  let tail = head;
  const calls = new Map<number, Entry>();
  for (const ev of events) {
    const entry: Entry = { op: ev.op, isCall: ev.isCall, prev: tail, next: undefined, index: ev.index };
    tail.next = entry;
    tail = entry;
    if (ev.isCall) calls.set(ev.index, entry);
    else {
      const call = calls.get(ev.index);
      if (call) call.match = entry;
    }
  }
  const lift = (e: Entry) => {
    const m = e.match as Entry;
    (e.prev as Entry).next = e.next;
    if (e.next) e.next.prev = e.prev;
    (m.prev as Entry).next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry) => {
    const m = e.match as Entry;
    (m.prev as Entry).next = m;
    if (m.next) m.next.prev = m;
    (e.prev as Entry).next = e;
    if (e.next) e.next.prev = e;
  };

  const cache = new Map<string, Set<string>>();
  const stack: { entry: Entry; state: string }[] = [];
  let linearized = 0n;
  let state = INITIAL_VALUE;
  let entry = head.next;
  let steps = 0;
  let longest: Operation[] = [];
  let stuckAt: Operation | undefined;
  while (head.next !== undefined) {
    if (++steps > maxSteps) return { key, ok: false, ops: ops.length, unknown: true };
    const e = entry as Entry;
    if (e.isCall) {
      const next = step(state, e.op);
      if (next !== undefined) {
        const bits = linearized | (1n << BigInt(e.index));
        const k = bits.toString(36);
        let seen = cache.get(k);
        if (!seen) {
          seen = new Set();
          cache.set(k, seen);
        }
        if (!seen.has(next)) {
          seen.add(next);
          stack.push({ entry: e, state });
          state = next;
          linearized = bits;
          lift(e);
          if (stack.length > longest.length) longest = stack.map((s) => s.entry.op);
          entry = head.next;
          continue;
        }
      }
      entry = e.next;
    } else {
      // A return whose op is not placed yet: back up.
      if (stack.length === 0) {
        stuckAt ??= e.op;
        return { key, ok: false, ops: ops.length, stuckAt: stuckAt, longestPrefix: longest };
      }
      if (stack.length === longest.length) stuckAt = e.op;
      const top = stack.pop() as { entry: Entry; state: string };
      state = top.state;
      linearized &= ~(1n << BigInt(top.entry.index));
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { key, ok: true, ops: ops.length };
}

export function checkLinearizable(
  history: readonly HistoryEntry[],
  options: CheckOptions = {},
): LinearizabilityVerdict {
  const byKey = new Map<string, Operation[]>();
  for (const op of operationsOf(history)) {
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }
  const keys = [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, ops]) => checkKey(key, ops, options));
  const bad = keys.find((k) => !k.ok && !k.unknown);
  if (bad) return { valid: false, keys, explanation: explain(bad) };
  if (keys.some((k) => k.unknown)) return { valid: 'unknown', keys };
  return { valid: true, keys };
}

export function describeOperation(op: Operation): string {
  const span = `[${op.call}, ${op.ret === Number.POSITIVE_INFINITY ? '∞' : op.ret}]`;
  switch (op.f) {
    case 'read':
      return `op ${op.id} p${op.process} read ${op.key} → '${op.output ?? '?'}' ${span}`;
    case 'write':
      return `op ${op.id} p${op.process} write ${op.key} := '${op.value}' ${span}`;
    case 'cas':
      return `op ${op.id} p${op.process} cas ${op.key} '${op.expected}' → '${op.value}' ${span}`;
  }
}

function explain(v: KeyVerdict): string {
  const prefix = (v.longestPrefix ?? []).map(describeOperation).join('; ');
  return `key '${v.key}' is not linearizable: no order of its ${v.ops} ops places ${
    v.stuckAt ? describeOperation(v.stuckAt) : 'every op'
  } (longest valid order: ${prefix || 'none'})`;
}
