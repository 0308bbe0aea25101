/** Checkers: pure functions over recorded client histories. */
export type { HistoryEntry, OpType, RegisterFn } from './history.ts';
export {
  checkKey,
  checkLinearizable,
  describeOperation,
  type KeyVerdict,
  type LinearizabilityVerdict,
  type Operation,
  operationsOf,
} from './linearizability.ts';
