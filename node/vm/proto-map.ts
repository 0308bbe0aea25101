/** Between the state machine's records and the proto messages of the VM and task RPCs. */

import type { MessageInitShape } from '@bufbuild/protobuf';
import type { VmInfoSchema } from '../gen/blixard_pb.js';
import { type TaskState, type VmInfo, VmState } from '../gen/blixard_pb.js';
import { type TaskRecord, VM_STATES, type VmRecord, type VmStateName } from '../state/index.ts';
import type { GuestStatus } from './backend.ts';

const TASK_STATE_NAMES = ['pending', 'running', 'succeeded', 'failed'] as const;

// The proto enums list the states in the same order as the state machine, from 1.
export function vmStateToProto(s: VmStateName): VmState {
  return (VM_STATES.indexOf(s) + 1) as VmState;
}

export function vmStateFromProto(s: VmState): VmStateName | undefined {
  return VM_STATES[s - 1];
}

export function taskStateToProto(s: TaskRecord['state']): TaskState {
  return (TASK_STATE_NAMES.indexOf(s) + 1) as TaskState;
}

export function taskStateFromProto(s: TaskState): TaskRecord['state'] | undefined {
  return TASK_STATE_NAMES[s - 1];
}

/**
 * A VmInfo from the record; `guest` is the live view when this node runs the
 * VM (health from its heartbeat), else health follows the recorded state.
 */
export function vmInfo(
  vm: VmRecord,
  guest: GuestStatus | undefined,
  nowMs: number,
): MessageInitShape<typeof VmInfoSchema> {
  const pid = guest?.pid ?? vm.pid ?? 0;
  const since = guest?.startedAtMs ?? vm.startedAtMs ?? 0;
  const running = vm.state === 'running' || (vm.state === 'migrating' && pid > 0);
  return {
    name: vm.name,
    state: vmStateToProto(vm.state),
    nodeId: vm.node,
    vcpus: vm.vcpus,
    memoryMb: BigInt(vm.memoryMb),
    image: vm.image,
    ipAddress: '',
    pid: running ? pid : 0,
    uptimeSecs: BigInt(running && since > 0 ? Math.max(0, Math.floor((nowMs - since) / 1000)) : 0),
    healthy: guest ? guest.healthy : vm.state === 'running',
    antiAffinityGroup: vm.antiAffinityGroup,
    migratingTo: vm.migratingTo,
  };
}

export type { VmInfo };
export { VmState };
