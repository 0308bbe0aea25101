/** Workloads that drive a lab cluster and record every client operation. */
export { WorkloadClients } from './clients.ts';
export {
  classify,
  type RegisterWorkloadOptions,
  runRegisterWorkload,
  type WorkloadSummary,
} from './register.ts';
