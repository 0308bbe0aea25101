/**
 * What a node's VMs take from its reported capacity. A VM counts on its owner
 * whatever its state (a stopped VM keeps its reservation, so starting it again
 * never fails for room) and also on the target of a migration in flight.
 */
export interface Usage {
  vcpus: number;
  memoryMb: number;
  vms: number;
  running: number;
}

interface PlacedVm {
  name: string;
  node: string;
  migratingTo: string;
  vcpus: number;
  memoryMb: number;
  state: string;
}

export function nodeUsage(vms: readonly PlacedVm[], node: string, except?: string): Usage {
  const used: Usage = { vcpus: 0, memoryMb: 0, vms: 0, running: 0 };
  for (const vm of vms) {
    if (vm.name === except) continue;
    if (vm.node !== node && vm.migratingTo !== node) continue;
    used.vcpus += vm.vcpus;
    used.memoryMb += vm.memoryMb;
    if (vm.node === node) {
      used.vms += 1;
      if (vm.state === 'running') used.running += 1;
    }
  }
  return used;
}
