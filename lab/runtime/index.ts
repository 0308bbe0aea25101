/** Cluster runtimes: start, drive and remove a lab cluster on docker or as local processes. */

// The state file is lab/state's; re-exported because every user of a Cluster reads it.
export * from '../state/index.ts';
export {
  BLIXARD_ELECTION_TIMEOUT_MAX_MS,
  BLIXARD_START_MS,
  BLIXARD_TICK_MS,
  votersFromLog,
} from './blixard/index.ts';
export { Cluster } from './cluster.ts';
export {
  demuxStream,
  dockerClient,
  dockerReachable,
  LABEL_RUN,
  removeOrphans,
  removeRun,
  requireDocker,
  runLabels,
} from './docker/index.ts';
export type { ExecResult } from './driver.ts';
export { LabError } from './errors.ts';
export type { LabClient, ServiceClients } from './lab-client.ts';
export { NodeHandle } from './node-handle.ts';
export { type NodeStatus, type TransportHealth, UNKNOWN } from './node-status.ts';
export {
  type ClusterOptions,
  ClusterShapeSchema,
  describeZodIssues,
} from './options.ts';
export { isOurs } from './process/detached.ts';
// Bounded waits on real processes, with bounds from the node's own timeouts.
export {
  CLI_START_MS,
  ELECTION_TIMEOUT_MAX_MS,
  NODE_TICK_MS,
  REPLICATION_BOUND_MS,
  type WaitOptions,
  WaitTimeoutError,
  waitUntil,
} from './wait.ts';
