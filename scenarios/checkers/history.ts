/**
 * A client history as history.jsonl records it: every operation's invoke and its completion
 * (ok, fail: did not happen, info: unknown whether it happened), with the node and transport used.
 */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';
export type RegisterFn = 'read' | 'write' | 'cas';

export interface HistoryEntry {
  /** Same for an op's invoke and its completion. */
  id: number;
  /** The client worker that issued it (one op at a time per process). */
  process: number;
  type: OpType;
  f: RegisterFn;
  key: string;
  /** write/cas: the value written; a read's ok: the value read. */
  value?: string | undefined;
  /** cas: the value expected. */
  expected?: string | undefined;
  /** A cas that failed on another value: the register's value the node reported (a read). */
  current?: string | undefined;
  node: string;
  transport: 'grpc' | 'iroh';
  /** ms since the run started (monotonic clock). */
  time: number;
  /** Why it failed or is unknown (status code and message). */
  error?: string | undefined;
}

/**
 * Any workload's record (registers, sets, VMs): HistoryEntry's fields with the workload's own `f`
 * (plain, e.g. `add`, or prefixed with its workload, e.g. `set-add`). A result that is not a string
 * (a set read's elements, a VM's status) is in `elements` or `result`, or else JSON in `value`.
 */
export interface OpRecord {
  id: number;
  process: number;
  type: OpType;
  f: string;
  key: string;
  value?: string | undefined;
  /** A set read's elements. */
  elements?: readonly string[] | undefined;
  /** A set read made after every fault was healed and every add ended (the final read). */
  final?: boolean | undefined;
  /** A structured reply (a VM's status, a list, where a create was placed). */
  result?: unknown;
  error?: string | undefined;
  time: number;
}

/** An op's invoke and its completion (undefined: still open when the history ended). */
export interface OpPair<R extends OpRecord> {
  invoke: R;
  done: R | undefined;
}

/** Pairs each invoke with its completion, in completion order (open ops last), refusing a malformed history. */
export function pairOps<R extends OpRecord>(history: readonly R[]): OpPair<R>[] {
  const open = new Map<number, R>();
  const pairs: OpPair<R>[] = [];
  for (const e of history) {
    if (typeof e.time !== 'number' || !Number.isFinite(e.time))
      throw new Error(`history: op ${e.id} (${e.type}) has no time (${String(e.time)})`);
    if (e.type === 'invoke') {
      if (open.has(e.id)) throw new Error(`history: op ${e.id} invoked twice`);
      open.set(e.id, e);
      continue;
    }
    const invoke = open.get(e.id);
    if (!invoke) throw new Error(`history: op ${e.id} completes (${e.type}) without an invoke`);
    if (e.time < invoke.time)
      throw new Error(
        `history: op ${e.id} completes (${e.type}) at ${e.time}, before its invoke at ${invoke.time}`,
      );
    open.delete(e.id);
    pairs.push({ invoke, done: e });
  }
  for (const invoke of open.values()) pairs.push({ invoke, done: undefined });
  return pairs;
}

/** The status code a recorded error starts with ("FAILED_PRECONDITION: ..."), if any. */
export function errorCode(error: string | undefined): string | undefined {
  return /^([A-Z_]+):/.exec(error ?? '')?.[1];
}
