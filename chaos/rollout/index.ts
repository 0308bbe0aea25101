/** Rollout files (steps, nodes, watch windows, gates), their pure plan and gate evaluation, and the runner that applies one to a lab and rolls back a breached step. */
export { checkRollouts } from './checker.ts';
export {
  DEFAULT_GATES,
  type Gates,
  gatesOf,
  loadRollout,
  parseRollout,
  type Rollout,
  RolloutError,
  type RolloutStep,
} from './file.ts';
export {
  type CallFigure,
  describeBreach,
  evaluateGates,
  type GateResult,
  type Scrape,
  type WindowFigures,
  windowFigures,
} from './gates.ts';
export {
  incompatibilities,
  type NodeChange,
  nodeOrder,
  type PlannedStep,
  percentOf,
  planRollout,
  type RolloutPlan,
  RolloutPlanError,
  rollbackChanges,
  type Settings,
  selectNodes,
} from './plan.ts';
export { currentSettings, type RolloutOptions, type RolloutOutcome, runRollout } from './rollout.ts';
