/** The suite's core: an incident run against a lab — self-check, schedule, workload, verdict — recorded under runs/<id>/, and its replay. */
export {
  loadReplay,
  RUNS_DIR,
  type RunOptions,
  type RunResult,
  type RunVerdict,
  runIncident,
} from './run.ts';
