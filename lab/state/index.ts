/** What finds a running lab again (.lab/state.json): its nodes, links, hub and observers. */
export {
  BLIXARD_MEMBERSHIPS,
  type BlixardMembership,
  type ClusterState,
  DEFAULT_STATE_FILE,
  type NodeState,
  newClusterState,
  newRunId,
  type ProcRecord,
  REPO_ROOT,
  RUNTIMES,
  type RuntimeKind,
  readState,
  removeState,
  SUTS,
  type SutName,
  writeState,
} from './state.ts';
