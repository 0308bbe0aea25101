import type { ConfChange, ConfChangeType, Entry } from './types.ts';

const CHANGE_CODES: Record<ConfChangeType, number> = {
  'add-learner': 1,
  'promote-learner': 2,
  'remove-node': 3,
};
const CHANGE_TYPES: Record<number, ConfChangeType> = {
  1: 'add-learner',
  2: 'promote-learner',
  3: 'remove-node',
};

/** A conf entry's data: one byte for the change type, then the node id in UTF-8. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  const id = new TextEncoder().encode(change.nodeId);
  const out = new Uint8Array(1 + id.length);
  out[0] = CHANGE_CODES[change.type];
  out.set(id, 1);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const type = CHANGE_TYPES[data[0] ?? 0];
  if (!type) throw new Error(`conf change: unknown change type ${data[0]}`);
  const nodeId = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(1));
  if (nodeId === '') throw new Error('conf change: empty node id');
  return { type, nodeId };
}

/** The change carried by a conf entry; an empty conf entry carries none. */
export function confChangeOf(entry: Entry): ConfChange | undefined {
  if (entry.type !== 'conf' || entry.data.length === 0) return undefined;
  return decodeConfChange(entry.data);
}
