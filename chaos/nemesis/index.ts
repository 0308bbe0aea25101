/** The nemesis: pure fault planning (partitions, link toxics, schedules), its I/O against a lab cluster, and the fault self-check (over chaos/probes). */
export { DurationSchema, parseDuration } from './durations.ts';
export { isToxicOp, type LinkRef, selectLinks, toxicsFor, transportsFor } from './link-faults.ts';
export {
  Nemesis,
  NemesisError,
  type NemesisRecord,
  nodeAnswers,
  restartInMode,
  saveLabState,
} from './nemesis.ts';
export {
  describeOp,
  isNodeId,
  type LinkSelector,
  type NemesisOp,
  type NemesisOpInput,
  NemesisOpSchema,
  NODE_OPS,
  NODE_ROLES,
  namedNodes,
  PARTITION_KINDS,
  type PartitionKind,
  TRANSPORT_SELECTORS,
  type TransportSelector,
} from './ops.ts';
export {
  type NemesisPackage,
  PACKAGE_NAMES,
  PackageEntrySchema,
  type PackageName,
  PackageSchema,
} from './packages/catalog.ts';
export { PackagePlanError, type PlanPackagesOptions, planPackages } from './packages/plan.ts';
export {
  describeTrigger,
  type RaftSampleView,
  type Trigger,
  type TriggerCheck,
  TriggerSchema,
  TriggerWatch,
  type Vote,
} from './packages/trigger.ts';
export {
  type DirectedLink,
  type Grudge,
  type PartitionPlan,
  planPartition,
  reachability,
} from './partition.ts';
export {
  GENERATED_FAULTS,
  generateSchedule,
  op,
  type Schedule,
  type ScheduledOp,
  sortSchedule,
} from './schedule.ts';
export {
  SelfCheckError,
  type SelfCheckOptions,
  type SelfCheckReport,
  selfCheck,
} from './self-check.ts';
