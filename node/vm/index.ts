/** VMs and tasks: the reconciler and its backends, placement, and the RPCs. */
export type { GuestSpec, GuestStatus, VmBackend } from './backend.ts';
export { DEFAULT_GUEST, ProcessBackend } from './process-backend.ts';
export { type LocalGuest, type OwnedVm, type ReconcileAction, reconcile, shouldRun } from './reconcile.ts';
export {
  type NodeRoom,
  type Placement,
  type PlacementRequest,
  placeVm,
  STRATEGIES,
  type Strategy,
} from './scheduler.ts';
export { TaskRunner } from './task-runner.ts';
export { taskServices } from './task-services.ts';
// For tests and benchmarks: guests of a killed node that outlived it.
export { killGuests } from './testing/guest-processes.ts';
export { VmManager, type VmReport } from './vm-manager.ts';
export { VmNode } from './vm-node.ts';
export { vmServices } from './vm-services.ts';
