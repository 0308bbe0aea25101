/** The docker runtime's public face. */
export { removeOrphans, removeRun } from './cleanup.ts';
export { DockerDriver } from './docker-runtime.ts';
export { dockerReachable, LABEL_LAB, LABEL_RUN, requireDocker } from './engine.ts';
