import { describe, expect, it } from 'vitest';
import type { OpRecord } from './history.ts';
import { checkOperations } from './search.ts';
import { type VmRow, vmHistory } from './vm-history-rows.ts';
import { vmOperations } from './vm-model.ts';
import { vmRegistryModel } from './vm-registry-model.ts';

type Row = VmRow;
const h = vmHistory;

const check = (history: OpRecord[]) => checkOperations(vmRegistryModel, vmOperations(history)).valid;

describe('the VM registry: whether a name exists, whatever its lifecycle', () => {
  it('accepts create, reads of it in any state, delete and a read of the absence', () => {
    expect(
      check(
        h(
          [1, 0, 'invoke', 'create'],
          [1, 0, 'ok', 'create', { node: 'n1' }],
          [2, 1, 'invoke', 'status'],
          [2, 1, 'ok', 'status', { found: true, state: 'created', node: 'n1' }],
          [3, 0, 'invoke', 'create'],
          [3, 0, 'fail', 'create', undefined, 'ALREADY_EXISTS: vm1'],
          [4, 0, 'invoke', 'delete'],
          [4, 0, 'ok', 'delete'],
          [5, 1, 'invoke', 'status'],
          [5, 1, 'ok', 'status', { found: false }],
        ),
      ),
    ).toBe(true);
  });

  it('refuses an acknowledged create that a later read does not see', () => {
    expect(
      check(
        h(
          [1, 0, 'invoke', 'create'],
          [1, 0, 'ok', 'create', { node: 'n1' }],
          [2, 1, 'invoke', 'status'],
          [2, 1, 'fail', 'status', undefined, 'NOT_FOUND: vm vm1 not found'],
        ),
      ),
    ).toBe(false);
  });

  it('refuses a deleted VM that comes back', () => {
    expect(
      check(
        h(
          [1, 0, 'invoke', 'create'],
          [1, 0, 'ok', 'create'],
          [2, 0, 'invoke', 'delete'],
          [2, 0, 'ok', 'delete'],
          [3, 1, 'invoke', 'status'],
          [3, 1, 'ok', 'status', { found: true, state: 'running', node: 'n2' }],
        ),
      ),
    ).toBe(false);
  });

  it('lets a create of unknown outcome have happened or not', () => {
    const open: Row[] = [
      [1, 0, 'invoke', 'create'],
      [1, 0, 'info', 'create', undefined, 'DEADLINE_EXCEEDED: blixard vm create'],
    ];
    expect(check(h(...open, [2, 1, 'invoke', 'status'], [2, 1, 'ok', 'status', { found: false }]))).toBe(
      true,
    );
    expect(
      check(
        h(...open, [2, 1, 'invoke', 'status'], [2, 1, 'ok', 'status', { found: true, state: 'running' }]),
      ),
    ).toBe(true);
  });
});
