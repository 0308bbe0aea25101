/** `lab load`: an open-model load against the running lab, with SLO thresholds that fail the run. */
export {
  type LoadFlags,
  type LoadIo,
  type LoadReport,
  loadCluster,
  loadCommand,
  renderLoadReport,
} from './load.ts';
