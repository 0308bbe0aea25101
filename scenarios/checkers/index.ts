/** Checkers: pure functions over recorded client histories. */

export { type Mutation, mutateRegister, type RegisterSimOptions, simulateRegister } from './generate.ts';
export type { HistoryEntry, OpType, RegisterFn } from './history.ts';
export { checkLinearizable, type LinearizabilityVerdict, operationsOf } from './linearizability.ts';
export { type Model, type Operation, partitionByKey } from './model.ts';
export {
  type RegisterInput,
  type RegisterOp,
  type RegisterOutput,
  registerModel,
  registerOperations,
} from './register-model.ts';
export {
  type Counterexample,
  checkOperations,
  type PartitionVerdict,
  renderCounterexample,
  renderSearchResult,
  type SearchOptions,
  type SearchResult,
  type Validity,
  worst,
} from './search.ts';
