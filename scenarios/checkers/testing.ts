/**
 * Histories for the checkers' tests, written as rows — [id, process, type, f, value?, expected?,
 * current?] — recorded at t = 1, 2, … in row order.
 */
import type { HistoryEntry, OpType, RegisterFn } from './history.ts';

export type Row<F extends string = string, V = string> = [
  id: number,
  process: number,
  type: OpType,
  f: F,
  value?: V,
  expected?: string,
  current?: string,
];

/**
 * An op invoked and completed ok before the next row: its two rows. The invoke carries the op's
 * arguments (`value`, `expected`), but a read's only value is what it returned.
 */
export function ok<F extends string, V>(
  id: number,
  process: number,
  f: F,
  value?: V,
  expected?: string,
): Row<F, V>[] {
  const invoke: Row<F, V> =
    f === 'read' ? [id, process, 'invoke', f] : [id, process, 'invoke', f, value, expected];
  return [invoke, [id, process, 'ok', f, value, expected]];
}

/** A register history on key 'x', as the workload records it (node n1 over gRPC). */
export function registerHistory(...rows: Row<RegisterFn>[]): HistoryEntry[] {
  return rows.map(([id, process, type, f, value, expected, current], i) => ({
    id,
    process,
    type,
    f,
    key: 'x',
    value,
    expected,
    current,
    node: 'n1',
    transport: 'grpc',
    time: i + 1,
  }));
}
