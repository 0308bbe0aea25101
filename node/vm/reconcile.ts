/**
 * The reconciler's decisions, as a pure function: from the replicated VM
 * records and the guests this node actually runs, the actions that bring the
 * node in line. Running them twice is harmless (a start of a running guest is
 * not decided; a report is guarded by the state it saw), so the loop can
 * simply run it again and again.
 *
 * The one-node rule: a VM runs only on its owner (`node`), and ownership
 * moves only by the owner's own report that it has stopped the guest (the
 * migration hand-off), so no two nodes are ever told to run the same VM.
 */
import type { VmStateName } from '../state/index.ts';

export interface OwnedVm {
  name: string;
  state: VmStateName;
  node: string;
  migratingTo: string;
  pid: number;
}

export interface LocalGuest {
  name: string;
  pid: number;
  healthy: boolean;
}

export type ReconcileAction =
  | { kind: 'start'; name: string }
  | { kind: 'stop'; name: string; reason: string }
  | {
      kind: 'report';
      name: string;
      state: VmStateName;
      expect: VmStateName[];
      /** The new owner (the migration hand-off). */
      node?: string;
      pid?: number;
    }
  /** Files of a VM that no longer exists anywhere. */
  | { kind: 'forget'; name: string };

/** States in which the owner should have the guest running. */
export const RUN_STATES: readonly VmStateName[] = ['starting', 'running'];

export function shouldRun(vm: OwnedVm, self: string): boolean {
  return vm.node === self && RUN_STATES.includes(vm.state);
}

export interface ReconcileInput {
  self: string;
  vms: readonly OwnedVm[];
  guests: readonly LocalGuest[];
  /** Names of VMs whose files exist on this node (pid file, disk). */
  known: readonly string[];
  /** VMs with an operation in flight: left alone this round. */
  busy: ReadonlySet<string>;
  /** False until the node has caught up with the log: then it only stops, never starts. */
  caughtUp: boolean;
}

export function reconcile(input: ReconcileInput): ReconcileAction[] {
  const { self, busy } = input;
  const actions: ReconcileAction[] = [];
  const guests = new Map(input.guests.map((g) => [g.name, g]));
  const vms = new Map(input.vms.map((v) => [v.name, v]));

  for (const vm of input.vms) {
    if (vm.node !== self || busy.has(vm.name)) continue;
    const guest = guests.get(vm.name);
    if (shouldRun(vm, self)) {
      if (!guest) {
        if (input.caughtUp) actions.push({ kind: 'start', name: vm.name });
      } else if (!guest.healthy) {
        // Restarted on the next round, once the stop has finished.
        actions.push({ kind: 'stop', name: vm.name, reason: 'heartbeat lost' });
      } else if (vm.state === 'starting' || vm.pid !== guest.pid) {
        actions.push({
          kind: 'report',
          name: vm.name,
          state: 'running',
          expect: [...RUN_STATES],
          pid: guest.pid,
        });
      }
      continue;
    }
    if (guest) {
      actions.push({ kind: 'stop', name: vm.name, reason: `vm is ${vm.state}` });
    } else if (vm.state === 'stopping') {
      actions.push({ kind: 'report', name: vm.name, state: 'stopped', expect: ['stopping'] });
    } else if (vm.state === 'migrating' && vm.migratingTo) {
      // The guest is down here: hand the VM to the target, which starts it.
      actions.push({
        kind: 'report',
        name: vm.name,
        state: 'starting',
        expect: ['migrating'],
        node: vm.migratingTo,
      });
    }
  }

  // Guests the records do not put here: deleted VMs, or orphans of an earlier run.
  for (const guest of input.guests) {
    if (busy.has(guest.name)) continue;
    const vm = vms.get(guest.name);
    if (!vm) actions.push({ kind: 'stop', name: guest.name, reason: 'no such vm' });
    else if (vm.node !== self)
      actions.push({ kind: 'stop', name: guest.name, reason: `vm belongs to ${vm.node}` });
  }
  for (const name of input.known) {
    if (!vms.has(name) && !guests.has(name) && !busy.has(name)) actions.push({ kind: 'forget', name });
  }
  return actions;
}
