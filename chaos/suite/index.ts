/** The suite's core: an incident run against a lab — self-check, schedule, workload, verdict — recorded under runs/<id>/, and its replay. */

export { decideRaft, exclusions, type RaftDecision, type TransportFigures } from './raft-decision.ts';
export {
  loadReplay,
  RUNS_DIR,
  type RunOptions,
  type RunResult,
  type RunVerdict,
  runIncident,
} from './run.ts';
