/** Test histories of one VM, written as rows (the VM model's tests and the VM registry's share them). */
import type { OpRecord } from './history.ts';

export type VmRow = [
  id: number,
  process: number,
  type: OpRecord['type'],
  f: string,
  value?: unknown,
  error?: string,
];

/** Rows at t = 1, 2, … on VM 'vm1'; values that are not strings are recorded as JSON. */
export function vmHistory(...rows: VmRow[]): OpRecord[] {
  return rows.map(([id, process, type, f, value, error], i) => ({
    id,
    process,
    type,
    f,
    key: 'vm1',
    value: value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value),
    error,
    time: i + 1,
  }));
}
