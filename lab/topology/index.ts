/** The lab's topology: who reaches whom through which hub link, and the node configs that follow. */
export {
  type Addressing,
  CONTRACT_PORTS,
  DOCKER_LINK_BASE_PORT,
  type DockerNames,
  dockerAddressing,
  HUB_HOST,
  linkCount,
  type NodePorts,
  nodeId,
  processAddressing,
  processPortCount,
} from './addressing.ts';
export {
  type NodeConfigInput,
  type NodeSettings,
  nodeConfigObject,
  readNodeConfig,
  renderNodeConfig,
  writeNodeMode,
  writeNodeSettings,
} from './node-config.ts';
export {
  CLIENT,
  findLink,
  findNode,
  type LinkEnds,
  type LinkPlan,
  linkName,
  MAX_NODES,
  type NodePlan,
  planTopology,
  type Topology,
} from './plan.ts';
