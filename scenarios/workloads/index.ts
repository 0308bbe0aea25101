/** Workloads that drive a lab cluster and record every client operation. */
export { type NodeServices, WorkloadClients, type WorkloadTransport } from './clients.ts';
export {
  FNS,
  type ImageFn,
  registerOps,
  type SetFn,
  type TaskFn,
  type VmFn,
  WORKLOADS,
  type WorkloadEntry,
  type WorkloadFn,
  type WorkloadName,
} from './history.ts';
export { ImagePlanner, imageSpec, sha256 } from './image.ts';
export { type MixOptions, specsOf, type WorkloadMix } from './mix.ts';
export { classify, currentOfFailedCas } from './outcome.ts';
export {
  RegisterPlanner,
  type RegisterWorkloadOptions,
  registerSpec,
  runRegisterWorkload,
} from './register.ts';
export * from './runner.ts';
export { AddRejected, addElement, elementsOf, SetPlanner, setSpec } from './set.ts';
export { statusSpec } from './status.ts';
export { TaskPlanner, taskSpec } from './task.ts';
export { VmPlanner, vmSpec } from './vm.ts';
