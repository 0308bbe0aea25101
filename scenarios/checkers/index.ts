/** Checkers: pure functions over recorded client histories. */
export type { HistoryEntry, OpType, RegisterFn } from './history.ts';
export { checkLinearizable, type LinearizabilityVerdict, operationsOf } from './linearizability.ts';
