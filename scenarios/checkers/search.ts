/**
 * The linearizability search (pure): Wing & Gong's backtracking over a history's call/return
 * entries with Lowe's memoisation of visited (linearized set, state) pairs, as Porcupine does it,
 * on each partition of the history on its own (P-compositionality: a history is linearizable iff
 * every partition is).
 *
 * Indeterminate ops (unknown outcome) return at infinity and are optional: the search succeeds as
 * soon as every op with a known outcome is placed, so an open op may take effect at any point after
 * its invoke, or never. Nothing closes them early.
 *
 * The linearized set is a bitset whose cache key is a Zobrist hash kept up to date in O(1) per step.
 * Completed ops take the low bits in call order, open ops the high bits, so a snapshot (for the
 * cache's equality test) is only the words between the first not-full word and the last non-empty
 * one of the completed region, plus the open region: a few words even for 100k-op partitions.
 *
 * A partition the search cannot decide within its step budget is `unknown` (never false). A failing
 * partition gets a counterexample: the shortest failing prefix (found by bisection on completions),
 * the longest valid order of that prefix, and the window of ops that no order can place.
 */
import { seededRandom } from '../../node/lib/index.ts';
import { hashString, type Model, type Operation, partitionByKey } from './model.ts';

export type Validity = true | false | 'unknown';

export interface SearchOptions {
  /** Search steps per partition before it is `unknown` (default 5 000 000). */
  maxSteps?: number;
  /** Build counterexamples for failing partitions (default true; at most `maxCounterexamples`). */
  counterexample?: boolean;
  /** Failing partitions that get a counterexample (default 3). */
  maxCounterexamples?: number;
}

/** An op as a counterexample shows it: JSON-safe (an open op's `ret` is null). */
export interface ShownOp {
  id: number;
  process: number;
  call: number;
  ret: number | null;
  text: string;
}

export interface Counterexample {
  key: string;
  /** The completion after which the history cannot be linearized (the shortest failing prefix ends there). */
  breaking: ShownOp;
  /** Ops in that shortest failing prefix (invoked by the breaking op's completion). */
  prefixOps: number;
  /**
   * The smallest window of ops that cannot be ordered: the ops overlapping the span from the invoke
   * of the last state-changing op of the longest valid order (before the first op no order places)
   * to the breaking completion.
   */
  window: ShownOp[];
  /** The longest order the search found for the failing prefix, and the state after it. */
  longestPrefix: ShownOp[];
  stateAfterPrefix: string;
}

export interface PartitionVerdict {
  key: string;
  valid: Validity;
  /** Ops in this partition, and how many of them have an unknown outcome. */
  ops: number;
  open: number;
  /** Open ops the model showed no verdict can depend on, left out of the search. */
  pruned: number;
  steps: number;
  counterexample?: Counterexample | undefined;
}

export interface SearchResult {
  model: string;
  valid: Validity;
  ops: number;
  open: number;
  partitions: PartitionVerdict[];
  explanation: string;
}

const INF = Number.POSITIVE_INFINITY;

interface Outcome<S> {
  valid: Validity;
  steps: number;
  /** With tracking: the longest order placed (indices into the ops), the state after it, the op it stuck on. */
  longest?: number[];
  longestState?: S;
  stuckAt?: number;
}

/** Per-op random words for the Zobrist hash (the same for every search: deterministic). */
let zobrist = { size: 0, a: new Int32Array(0), b: new Int32Array(0) };
function zobristWords(n: number): { a: Int32Array; b: Int32Array } {
  if (zobrist.size < n) {
    const size = Math.max(n, zobrist.size * 2, 1024);
    const random = seededRandom(0, 'linearizability', 'zobrist');
    const a = new Int32Array(size);
    const b = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      a[i] = (random() * 4294967296) | 0;
      b[i] = (random() * 4294967296) | 0;
    }
    zobrist = { size, a, b };
  }
  return zobrist;
}

/**
 * Searches one partition (any order of ops: it sorts its own copy, completed ops first). With
 * `track`, records the longest order found (for counterexamples).
 */
function searchPartition<S, I, O>(
  model: Model<S, I, O>,
  input: readonly Operation<I, O>[],
  maxSteps: number,
  track: boolean,
): Outcome<S> & { ops: Operation<I, O>[] } {
  const completed = input.filter((o) => o.ret !== INF && o.output !== undefined);
  const open = input.filter((o) => o.ret === INF || o.output === undefined).map(openCopy);
  const byCall = (a: Operation<I, O>, b: Operation<I, O>) => a.call - b.call;
  const ops = [...completed.sort(byCall), ...open.sort(byCall)];
  const n = ops.length;
  const nc = completed.length;
  const cw = (nc + 31) >>> 5;
  const iw = (n - nc + 31) >>> 5;
  const bits = new Uint32Array(cw + iw);
  const lastMask = nc % 32 === 0 ? 0xffffffff : ((1 << (nc % 32)) - 1) >>> 0;
  const { a: za, b: zb } = zobristWords(n);

  // Entries: op i's call is node i, its return node n + i; the head is node 2n.
  const time = (e: number) =>
    e < n ? (ops[e] as Operation<I, O>).call : (ops[e - n] as Operation<I, O>).ret;
  const order = Array.from({ length: 2 * n }, (_, i) => i);
  // Calls before returns at equal times: ops that touch are concurrent (closed intervals).
  order.sort((x, y) => time(x) - time(y) || (x < n ? 0 : 1) - (y < n ? 0 : 1) || x - y);
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let tail = head;
  for (const e of order) {
    next[tail] = e;
    prev[e] = tail;
    tail = e;
  }
  const lift = (i: number) => {
    const r = n + i;
    next[prev[i] as number] = next[i] as number;
    if (next[i] !== -1) prev[next[i] as number] = prev[i] as number;
    next[prev[r] as number] = next[r] as number;
    if (next[r] !== -1) prev[next[r] as number] = prev[r] as number;
  };
  const unlift = (i: number) => {
    const r = n + i;
    next[prev[r] as number] = r;
    if (next[r] !== -1) prev[next[r] as number] = r;
    next[prev[i] as number] = i;
    if (next[i] !== -1) prev[next[i] as number] = i;
  };

  const equal = model.equal ?? ((x: S, y: S) => x === y);
  const stateHash =
    model.hash ?? ((s: S) => (typeof s === 'string' ? hashString(s) : typeof s === 'number' ? s | 0 : 0));
  // The cache: key → first entry; entries chained, their snapshots packed in one growing arena.
  const cache = new Map<number, number>();
  let arena = new Uint32Array(1 << 12);
  let arenaUsed = 0;
  let entryOffset = new Int32Array(1 << 10);
  let entryNext = new Int32Array(1 << 10);
  const entryState: S[] = [];
  let h1 = 0;
  let h2 = 0;
  // First completed word not full, last completed word not empty.
  let lo = 0;
  let hi = -1;
  const full = (w: number) => (w === cw - 1 ? lastMask : 0xffffffff);
  const wordOf = (i: number) => (i < nc ? i >>> 5 : cw + ((i - nc) >>> 5));
  const maskOf = (i: number) => (1 << ((i < nc ? i : i - nc) & 31)) >>> 0;
  const setBit = (i: number) => {
    const w = wordOf(i);
    bits[w] = ((bits[w] as number) | maskOf(i)) >>> 0;
    h1 ^= za[i] as number;
    h2 ^= zb[i] as number;
    if (i < nc) {
      if (w > hi) hi = w;
      while (lo < cw && bits[lo] === full(lo)) lo++;
    }
  };
  const clearBit = (i: number) => {
    const w = wordOf(i);
    bits[w] = ((bits[w] as number) & ~maskOf(i)) >>> 0;
    h1 ^= za[i] as number;
    h2 ^= zb[i] as number;
    if (i < nc) {
      if (w < lo) lo = w;
      if (w === hi) while (hi >= 0 && bits[hi] === 0) hi--;
    }
  };
  const snapLength = () => 2 + Math.max(0, hi - lo + 1) + iw;
  /** Whether the snapshot at `off` is the current linearized set. */
  const sameSnap = (off: number) => {
    const len = snapLength();
    if (arena[off] !== len || arena[off + 1] !== lo || arena[off + 2] !== hi + 1) return false;
    let j = off + 3;
    for (let w = lo; w <= hi; w++) if (arena[j++] !== bits[w]) return false;
    for (let w = cw; w < cw + iw; w++) if (arena[j++] !== bits[w]) return false;
    return true;
  };
  /** Records the current linearized set with `after` under `key`. */
  const remember = (key: number, after: S) => {
    const len = snapLength();
    if (arenaUsed + len + 1 > arena.length) {
      const bigger = new Uint32Array(Math.max(arena.length * 2, arenaUsed + len + 1));
      bigger.set(arena);
      arena = bigger;
    }
    const e = entryState.length;
    if (e === entryOffset.length) {
      const offsets = new Int32Array(e * 2);
      offsets.set(entryOffset);
      entryOffset = offsets;
      const chain = new Int32Array(e * 2);
      chain.set(entryNext);
      entryNext = chain;
    }
    const off = arenaUsed;
    arena[off] = len;
    arena[off + 1] = lo;
    arena[off + 2] = hi + 1;
    let j = off + 3;
    for (let w = lo; w <= hi; w++) arena[j++] = bits[w] as number;
    for (let w = cw; w < cw + iw; w++) arena[j++] = bits[w] as number;
    arenaUsed = j;
    entryOffset[e] = off;
    entryNext[e] = cache.get(key) ?? -1;
    entryState.push(after);
    cache.set(key, e);
  };
  const seen = (key: number, after: S) => {
    for (let e = cache.get(key) ?? -1; e !== -1; e = entryNext[e] as number)
      if (equal(entryState[e] as S, after) && sameSnap(entryOffset[e] as number)) return true;
    return false;
  };

  const stackOp = new Int32Array(n);
  const stackState: S[] = new Array(n);
  let depth = 0;
  let state = model.init();
  let entry = next[head] as number;
  let remaining = nc;
  let steps = 0;
  let longest: number[] = [];
  let longestState: S = state;
  let stuckAt: number | undefined;
  while (remaining > 0) {
    if (++steps > maxSteps) return { valid: 'unknown', steps, ops };
    if (entry < n) {
      const op = ops[entry] as Operation<I, O>;
      const after = model.step(state, op.input, op.output);
      if (after !== undefined) {
        const savedLo = lo;
        const savedHi = hi;
        setBit(entry);
        // A small-integer key (fast in a Map); the chain check tells colliding sets apart.
        const key = (h1 ^ stateHash(after) ^ (h2 << 7)) & 0x3fffffff;
        if (!seen(key, after)) {
          remember(key, after);
          stackOp[depth] = entry;
          stackState[depth] = state;
          depth++;
          state = after;
          lift(entry);
          if (entry < nc) remaining--;
          entry = next[head] as number;
          continue;
        }
        // Undo the bit (the bounds are restored as they were).
        const w = wordOf(entry);
        bits[w] = ((bits[w] as number) & ~maskOf(entry)) >>> 0;
        h1 ^= za[entry] as number;
        h2 ^= zb[entry] as number;
        lo = savedLo;
        hi = savedHi;
      }
      entry = next[entry] as number;
    } else {
      // The return of an op not yet placed: nothing before it fits here; back up.
      if (track && depth >= longest.length) {
        if (depth > longest.length || stuckAt === undefined) {
          longest = Array.from(stackOp.subarray(0, depth));
          longestState = state;
          stuckAt = entry - n;
        }
      }
      if (depth === 0) {
        if (track && stuckAt === undefined) stuckAt = entry - n;
        return { valid: false, steps, ops, longest, longestState, stuckAt };
      }
      depth--;
      const i = stackOp[depth] as number;
      state = stackState[depth] as S;
      clearBit(i);
      unlift(i);
      if (i < nc) remaining++;
      entry = next[i] as number;
    }
  }
  return { valid: true, steps, ops };
}

function openCopy<I, O>(op: Operation<I, O>): Operation<I, O> {
  return op.ret === INF && op.output === undefined ? op : { ...op, ret: INF, output: undefined };
}

function shown<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): ShownOp {
  return {
    id: op.id,
    process: op.process,
    call: op.call,
    ret: op.ret === INF ? null : op.ret,
    text: model.describeOperation(op),
  };
}

/**
 * The history cut at completion `t`: ops invoked by then, those still running at t made open.
 * (Linearizability of such prefixes is monotone in t: an op invoked after t follows every op
 * completed by t, so it cannot help place them.)
 */
function prefixAt<I, O>(ops: readonly Operation<I, O>[], t: number): Operation<I, O>[] {
  return ops.filter((o) => o.call <= t).map((o) => (o.ret > t ? openCopy(o) : o));
}

function counterexample<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  ops: readonly Operation<I, O>[],
  maxSteps: number,
): Counterexample | undefined {
  const completed = ops.filter((o) => o.ret !== INF && o.output !== undefined).sort((a, b) => a.ret - b.ret);
  if (completed.length === 0) return undefined;
  // Bisect for the first completion after which the prefix fails (unknown probes count as passing:
  // the prefix kept is always one shown to fail).
  let lo = 0;
  let hi = completed.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const probe = searchPartition(
      model,
      prefixAt(ops, (completed[mid] as Operation<I, O>).ret),
      maxSteps,
      false,
    );
    if (probe.valid === false) hi = mid;
    else lo = mid + 1;
  }
  const breaking = completed[hi] as Operation<I, O>;
  const prefix = prefixAt(ops, breaking.ret);
  const run = searchPartition(model, prefix, maxSteps, true);
  if (run.valid !== false) return undefined;
  const sorted = run.ops;
  const placed = new Set(run.longest ?? []);
  const longestPrefix = (run.longest ?? []).map((i) => shown(model, sorted[i] as Operation<I, O>));
  // The window: from the invoke of the last op in the longest order that changed the state (before
  // the first op no order places) to the break: the ops that made the state the stuck op contradicts.
  let firstUnplaced = breaking.call;
  for (let i = 0; i < sorted.length; i++) {
    const o = sorted[i] as Operation<I, O>;
    if (!placed.has(i) && o.ret !== INF && o.call < firstUnplaced) firstUnplaced = o.call;
  }
  let start = firstUnplaced;
  let state = model.init();
  const equal = model.equal ?? ((x: S, y: S) => x === y);
  for (const i of run.longest ?? []) {
    const o = sorted[i] as Operation<I, O>;
    const after = model.step(state, o.input, o.output) as S;
    if (!equal(after, state) && o.call <= firstUnplaced) start = Math.min(o.call, firstUnplaced);
    state = after;
  }
  const window = sorted
    .filter((o) => o.call <= breaking.ret && o.ret >= start)
    .sort((a, b) => a.call - b.call || a.id - b.id)
    .map((o) => shown(model, o));
  return {
    key,
    breaking: shown(model, breaking),
    prefixOps: prefix.length,
    window,
    longestPrefix,
    stateAfterPrefix: model.describeState(run.longestState as S),
  };
}

/** The worse of two validities: false < unknown < true. */
export function worst(a: Validity, b: Validity): Validity {
  if (a === false || b === false) return false;
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  return true;
}

/** Checks `ops` against `model`, partition by partition. */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  options: SearchOptions = {},
): SearchResult {
  const maxSteps = options.maxSteps ?? 5_000_000;
  let counterexamples = options.counterexample === false ? 0 : (options.maxCounterexamples ?? 3);
  for (const op of ops)
    if (!(Number.isFinite(op.call) && op.call <= op.ret))
      throw new Error(`history: op ${op.id} (${model.describeOperation(op)}) returns before it is called`);
  const parts = model.partition ? model.partition(ops) : partitionByKey(ops);
  const partitions: PartitionVerdict[] = [];
  let valid: Validity = true;
  for (const part of parts) {
    const key = part[0]?.key ?? '';
    const checked = model.prune ? model.prune(part) : part;
    const r = searchPartition(model, checked, maxSteps, false);
    const open = part.filter((o) => o.ret === INF || o.output === undefined).length;
    const verdict: PartitionVerdict = {
      key,
      valid: r.valid,
      ops: part.length,
      open,
      pruned: part.length - checked.length,
      steps: r.steps,
    };
    if (r.valid === false && counterexamples > 0) {
      counterexamples--;
      verdict.counterexample = counterexample(model, key, checked, maxSteps);
    }
    partitions.push(verdict);
    valid = worst(valid, r.valid);
  }
  const open = partitions.reduce((sum, p) => sum + p.open, 0);
  return {
    model: model.name,
    valid,
    ops: ops.length,
    open,
    partitions,
    explanation: explainSearch(model.name, valid, partitions, maxSteps),
  };
}

function explainSearch(
  model: string,
  valid: Validity,
  partitions: PartitionVerdict[],
  maxSteps: number,
): string {
  const ops = partitions.reduce((sum, p) => sum + p.ops, 0);
  const open = partitions.reduce((sum, p) => sum + p.open, 0);
  if (valid === true)
    return `${model}: linearizable (${ops} ops, ${open} of unknown outcome, ${partitions.length} partitions)`;
  if (valid === 'unknown') {
    const undecided = partitions.filter((p) => p.valid === 'unknown');
    return `${model}: undecided — the search spent its budget (${maxSteps} steps) on ${undecided
      .map((p) => `'${p.key}' (${p.ops} ops, ${p.open} open)`)
      .join(', ')}; the other partitions are linearizable`;
  }
  const bad = partitions.filter((p) => p.valid === false);
  const first = bad[0] as PartitionVerdict;
  const cx = first.counterexample;
  const why = cx
    ? `: ${cx.breaking.text} cannot be placed; the window that cannot be ordered is ${cx.window
        .map((o) => o.text)
        .join('; ')}`
    : '';
  const more =
    bad.length > 1
      ? ` (and ${bad.length - 1} more: ${bad
          .slice(1)
          .map((p) => `'${p.key}'`)
          .join(', ')})`
      : '';
  return `${model}: key '${first.key}' is not linearizable${why}${more}`;
}

/** A counterexample in readable form (for `lab verdict` and test failures). */
export function renderCounterexample(cx: Counterexample): string {
  const lines = [
    `partition '${cx.key}': linearizable until ${cx.breaking.text} completed (a prefix of ${cx.prefixOps} ops)`,
    `  ops that cannot be ordered (${cx.window.length}):`,
    ...cx.window.map((o) => `    ${o.text}`),
    `  longest valid order (${cx.longestPrefix.length} ops), ending in state ${cx.stateAfterPrefix}:`,
    ...cx.longestPrefix.slice(-12).map((o) => `    ${o.text}`),
  ];
  if (cx.longestPrefix.length > 12)
    lines.splice(lines.length - 12, 0, `    … ${cx.longestPrefix.length - 12} earlier`);
  return lines.join('\n');
}

/** Every counterexample of a result, rendered, or its explanation when there is none. */
export function renderSearchResult(result: SearchResult): string {
  const shownCx = result.partitions.flatMap((p) =>
    p.counterexample ? [renderCounterexample(p.counterexample)] : [],
  );
  return [result.explanation, ...shownCx].join('\n');
}
