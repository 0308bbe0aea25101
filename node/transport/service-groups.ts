/**
 * Every RPC's service group: the unit the migration moves from gRPC to Iroh.
 * The catalog test checks that each method of the proto has exactly one.
 */
import type { DescMethod } from '@bufbuild/protobuf';

export const SERVICE_GROUPS = [
  'health',
  'status',
  'monitoring',
  'cluster',
  'raft',
  'vm_ops',
  'scheduling',
  'tasks',
  'p2p',
] as const;
export type ServiceGroup = (typeof SERVICE_GROUPS)[number];

const GROUP_OF: Record<string, ServiceGroup> = {
  'blixard.ClusterService/JoinCluster': 'cluster',
  'blixard.ClusterService/LeaveCluster': 'cluster',
  'blixard.ClusterService/TransferLeadership': 'cluster',
  'blixard.ClusterService/GetClusterStatus': 'status',
  'blixard.ClusterService/SendRaftMessage': 'raft',
  'blixard.ClusterService/SubmitTask': 'tasks',
  'blixard.ClusterService/GetTaskStatus': 'tasks',
  'blixard.ClusterService/CreateVm': 'vm_ops',
  'blixard.ClusterService/CreateVmWithScheduling': 'scheduling',
  'blixard.ClusterService/StartVm': 'vm_ops',
  'blixard.ClusterService/StopVm': 'vm_ops',
  'blixard.ClusterService/DeleteVm': 'vm_ops',
  'blixard.ClusterService/ListVms': 'vm_ops',
  'blixard.ClusterService/GetVmStatus': 'vm_ops',
  'blixard.ClusterService/MigrateVm': 'vm_ops',
  'blixard.ClusterService/ScheduleVmPlacement': 'scheduling',
  'blixard.ClusterService/GetClusterResourceSummary': 'monitoring',
  'blixard.ClusterService/HealthCheck': 'health',
  'blixard.ClusterService/GetP2pStatus': 'p2p',
  'blixard.ClusterService/ShareVmImage': 'p2p',
  'blixard.ClusterService/GetVmImage': 'p2p',
  'blixard.ClusterService/ListP2pImages': 'p2p',
  'blixard.BlixardService/GetRaftStatus': 'status',
  'blixard.BlixardService/ProposeTask': 'raft',
  'blixard.BlixardService/ReportVmState': 'vm_ops',
  'blixard.BlixardService/ReportTaskResult': 'tasks',
  'grpc.health.v1.Health/Check': 'health',
  'grpc.health.v1.Health/Watch': 'health',
};

export function methodPath(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/** The group of `service/method`, undefined for a method the contract does not have. */
export function groupOfPath(path: string): ServiceGroup | undefined {
  return GROUP_OF[path];
}

export function groupOf(method: DescMethod): ServiceGroup {
  const group = GROUP_OF[methodPath(method)];
  if (group === undefined) throw new Error(`no service group for ${methodPath(method)}`);
  return group;
}

export function isServiceGroup(value: string): value is ServiceGroup {
  return (SERVICE_GROUPS as readonly string[]).includes(value);
}
