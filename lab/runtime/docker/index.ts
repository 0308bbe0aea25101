/** The docker runtime's public face. */
export { removeOrphans, removeRun } from './cleanup.ts';
export { DockerDriver } from './docker-runtime.ts';
export {
  docker as dockerClient,
  dockerReachable,
  LABEL_LAB,
  LABEL_RUN,
  requireDocker,
  runLabels,
} from './engine.ts';
export { demuxStream } from './log-stream.ts';
