/** Cluster runtimes: start, drive and remove a lab cluster on docker or as local processes. */
export { Cluster, newRunId } from './cluster.ts';
export type { ExecResult } from './driver.ts';
export { LabError } from './errors.ts';
export type { LabClient, ServiceClients } from './lab-client.ts';
export { NodeHandle } from './node-handle.ts';
export { type NodeStatus, type TransportHealth, UNKNOWN } from './node-status.ts';
export {
  type ClusterOptions,
  ClusterShapeSchema,
  RUNTIMES,
  type RuntimeKind,
} from './options.ts';
export {
  type ClusterState,
  DEFAULT_STATE_FILE,
  type NodeState,
  readState,
  removeState,
  writeState,
} from './state.ts';
