/**
 * The history.jsonl entry every workload records: the register checker's HistoryEntry
 * (scenarios/checkers/history.ts) with more `f` values, one set per workload, and fields those ops
 * need. A register op's entry is exactly as before (no `workload` field), so a reader that knows only
 * registers keeps reading register ops by `f`; every other op names its workload and has an `f` no
 * register op uses.
 */
import type { HistoryEntry, RegisterFn } from '../checkers/index.ts';

export const WORKLOADS = ['register', 'set', 'vm', 'task', 'image', 'status'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** set: add an element (a CAS append to the set's register), read the whole set. */
export type SetFn = 'set-add' | 'set-read';
export type VmFn =
  | 'vm-create'
  | 'vm-start'
  | 'vm-stop'
  | 'vm-delete'
  | 'vm-migrate'
  | 'vm-status'
  | 'vm-list';
export type TaskFn = 'task-submit' | 'task-status';
export type ImageFn = 'image-share' | 'image-get';
export type StatusFn = 'cluster-status';
export type WorkloadFn = RegisterFn | SetFn | VmFn | TaskFn | ImageFn | StatusFn;

export const FNS: Record<WorkloadName, readonly WorkloadFn[]> = {
  register: ['read', 'write', 'cas'],
  set: ['set-add', 'set-read'],
  vm: ['vm-create', 'vm-start', 'vm-stop', 'vm-delete', 'vm-migrate', 'vm-status', 'vm-list'],
  task: ['task-submit', 'task-status'],
  image: ['image-share', 'image-get'],
  status: ['cluster-status'],
};

export interface WorkloadEntry extends Omit<HistoryEntry, 'f'> {
  f: WorkloadFn;
  /** Absent on register ops (the format they always had). */
  workload?: Exclude<WorkloadName, 'register'> | undefined;
  /** A failed CAS (register `cas`, or a set add's last attempt): the register's value it found. */
  current?: string | undefined;
  /** set-read ok: the elements read; set-add: the element added is `value`. */
  elements?: string[] | undefined;
  /** set-read: the read after every fault was healed (every acknowledged add must be in it). */
  final?: boolean | undefined;
  /**
   * What a non-register op answered (ok), e.g. a VM's state and owner, a task's state and output, an
   * image's hash, size and the sha256 of the bytes served or shared.
   */
  result?: Record<string, unknown> | undefined;
}

/**
 * The register ops of a history, as the register linearizability checker reads them. A failed CAS
 * that reported the register's current value changed nothing and saw that value at its place in the
 * log: it is given to the checker as a read of that value (same id, process and times), which
 * history.jsonl keeps as what it was (`cas`, `fail`, `current`).
 */
export function registerOps(history: readonly WorkloadEntry[]): HistoryEntry[] {
  const reads = new Set<number>();
  for (const e of history)
    if (e.workload === undefined && e.f === 'cas' && e.type === 'fail' && e.current !== undefined)
      reads.add(e.id);
  const out: HistoryEntry[] = [];
  for (const e of history) {
    if (e.workload !== undefined || (e.f !== 'read' && e.f !== 'write' && e.f !== 'cas')) continue;
    const { current, workload: _w, elements: _e, final: _f, result: _r, ...entry } = e;
    if (!reads.has(e.id)) {
      out.push({ ...entry, f: e.f });
      continue;
    }
    out.push(
      e.type === 'invoke'
        ? { ...entry, f: 'read', value: undefined, expected: undefined }
        : { ...entry, f: 'read', type: 'ok', value: current, error: undefined },
    );
  }
  return out;
}
