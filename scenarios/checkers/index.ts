/** Checkers: pure functions over recorded client histories. */

export { checkAvailability } from './availability.ts';
export { badCheckEntry, CHECK_FAMILIES, covers, scopeResults } from './check-scope.ts';
export { type Mutation, mutateRegister, type RegisterSimOptions, simulateRegister } from './generate.ts';
export {
  errorCode,
  type HistoryEntry,
  type OpRecord,
  type OpType,
  pairOps,
  type RegisterFn,
} from './history.ts';
export { checkImages } from './images.ts';
export {
  checkLeaderFailover,
  checkRestartElectsNobody,
  checkRestartedFollowerRejoins,
  type LeadershipOptions,
  restartsToJudge,
} from './leadership.ts';
export { checkLinearizable, type LinearizabilityVerdict, operationsOf } from './linearizability.ts';
export { type Model, type Operation, partitionByKey } from './model.ts';
export {
  type Agreement,
  agreeingRound,
  type CheckResult,
  checkOneLeaderPerTerm,
  checkRaftSafety,
  checkTermMonotonic,
  type RaftSafetyOptions,
  type RaftSampleLike,
  type RunEventLike,
} from './raft-safety.ts';
export {
  describeRegisterOp,
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
export {
  checkSet,
  makeSetModel,
  type SetCheck,
  type SetInput,
  type SetOp,
  type SetOutput,
  setModel,
  setOperations,
} from './set-model.ts';
export {
  checkSlo,
  DEFAULT_SLO,
  faultWindows,
  mergeWindows,
  type SloThresholds,
  type Window as FaultWindow,
} from './slo.ts';
export { checkTasks } from './tasks.ts';
export {
  type CheckerResult,
  type ComposedVerdict,
  composeVerdicts,
  registerLinearizability,
  renderVerdict,
  runChecker,
  searchEvidence,
  setCompleteness,
  setLinearizability,
  vmLinearizability,
  vmRegistryLinearizability,
} from './verdict.ts';
export { checkCapacity, checkSingleRun, type GuestLike, type GuestSampleLike } from './vm-invariants.ts';
export { type VmInput, type VmOp, type VmOutput, vmModel, vmOperations } from './vm-model.ts';
export { vmRegistryModel } from './vm-registry-model.ts';
