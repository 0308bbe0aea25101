/**
 * The VM registry per name: whether a record by that name exists, and nothing about its lifecycle.
 * For systems whose VM lifecycle is not the reference node's (the real Blixard): an acknowledged
 * create must be seen by every later read, an acknowledged delete must not come back, and a refusal
 * that depends on the record (NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION) reads its existence.
 * Ops are those of `vmOperations` (vm-model.ts); start and stop only read existence.
 */
import { hashString, type Model, span } from './model.ts';
import type { VmInput, VmOutput } from './vm-model.ts';

type Registry = 'absent' | 'present';

export const vmRegistryModel: Model<Registry, VmInput, VmOutput> = {
  name: 'vm registry',
  init: () => 'absent',
  step(state, input, output) {
    if (output === undefined) {
      // Took effect with whatever answer: a create leaves a record, a delete leaves none.
      if (input.f === 'create') return 'present';
      if (input.f === 'delete') return 'absent';
      return state;
    }
    if (!output.ok) {
      if (output.code === 'NOT_FOUND') return state === 'absent' ? state : undefined;
      if (output.code === 'ALREADY_EXISTS' || output.code === 'FAILED_PRECONDITION')
        return state === 'present' ? state : undefined;
      return state; // RESOURCE_EXHAUSTED: nothing changed, nothing read
    }
    if (input.f === 'create') return state === 'absent' ? 'present' : undefined;
    if (input.f === 'delete') return state === 'present' ? 'absent' : undefined;
    return state === 'present' ? state : undefined;
  },
  hash: hashString,
  describeOperation(op) {
    const o = op.output;
    const result = o === undefined ? '?' : o.ok ? (o.state ?? 'ok') : o.code;
    return `op ${op.id} p${op.process} ${op.input.f} ${op.key} → ${result} ${span(op)}`;
  },
  describeState: (s) => s,
};
