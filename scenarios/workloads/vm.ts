/**
 * A VM workload: each client owns a few VM names and drives them through CreateVm, StartVm,
 * StopVm, DeleteVm, MigrateVm, GetVmStatus and ListVms. The next op follows what the client last
 * knew of the VM (an op that fits its state most of the time, any op now and then, a status read
 * when it lost track), so most ops are meant to apply and the refusals that remain are the node's
 * to explain. What every reply said (state, owner, pid) is in the history for the VM checkers.
 */

import { VmState } from '../../node/gen/blixard_pb.js';
import { pick, type Random } from '../../node/lib/index.ts';
import { Code, RpcError } from '../../node/transport/index.ts';
import type { VmFn } from './history.ts';
import { type PlannedOp, plannedSpec, type WorkloadSpec } from './runner.ts';

/** What a client believes of one of its VMs. */
export type VmBelief = 'absent' | 'created' | 'running' | 'stopped' | 'unknown';

/** vCPUs and memory of every workload VM: small, so several fit on any node. */
export const VM_VCPUS = 1;
export const VM_MEMORY_MB = 16;

const FITTING: Record<VmBelief, readonly VmFn[]> = {
  absent: ['vm-create'],
  created: ['vm-start', 'vm-start', 'vm-delete', 'vm-migrate', 'vm-status'],
  running: ['vm-stop', 'vm-stop', 'vm-migrate', 'vm-status', 'vm-list'],
  stopped: ['vm-start', 'vm-delete', 'vm-delete', 'vm-migrate', 'vm-status'],
  unknown: ['vm-status'],
};
const ALL: readonly VmFn[] = [
  'vm-create',
  'vm-start',
  'vm-stop',
  'vm-delete',
  'vm-migrate',
  'vm-status',
  'vm-list',
];

export interface VmPlan {
  f: VmFn;
  /** The VM's name; vm-list: the prefix of the run's VMs. */
  key: string;
  /** vm-migrate: the target node. */
  target?: string | undefined;
}

export function stateName(s: VmState): string {
  return (VmState[s] ?? String(s)).toLowerCase();
}

/** The pure part: which op a VM client issues next, from its seed and what it last knew. */
export class VmPlanner {
  readonly #random: Random;
  readonly #nodes: readonly string[];
  readonly names: readonly string[];
  readonly #prefix: string;
  readonly #belief = new Map<string, { state: VmBelief; node: string }>();

  constructor(o: {
    client: number;
    random: Random;
    names: number;
    prefix: string;
    nodes: readonly string[];
  }) {
    this.#random = o.random;
    this.#nodes = o.nodes;
    this.#prefix = o.prefix;
    this.names = Array.from({ length: o.names }, (_, j) => `${o.prefix}${o.client}-${j}`);
    for (const n of this.names) this.#belief.set(n, { state: 'absent', node: '' });
  }

  belief(name: string): { state: VmBelief; node: string } {
    return this.#belief.get(name) ?? { state: 'unknown', node: '' };
  }

  next(): VmPlan {
    const name = pick(this.#random, this.names);
    const b = this.belief(name);
    const f = this.#random() < 0.85 ? pick(this.#random, FITTING[b.state]) : pick(this.#random, ALL);
    if (f === 'vm-list') return { f, key: this.#prefix };
    if (f !== 'vm-migrate') return { f, key: name };
    const others = this.#nodes.filter((n) => n !== b.node);
    return { f, key: name, target: pick(this.#random, others.length > 0 ? others : this.#nodes) };
  }

  /** After an op: ok moves the belief as the op says; an unknown outcome means "ask". */
  done(plan: VmPlan, type: 'ok' | 'fail' | 'info', seen?: { state: VmBelief; node: string }): void {
    if (plan.f === 'vm-list') return;
    const b = this.belief(plan.key);
    if (type === 'info') {
      this.#belief.set(plan.key, { state: 'unknown', node: b.node });
      return;
    }
    if (seen) {
      this.#belief.set(plan.key, seen);
      return;
    }
    if (type === 'fail') {
      // A refusal that says the client's belief is wrong: look before acting again.
      if (plan.f !== 'vm-status') this.#belief.set(plan.key, { state: 'unknown', node: b.node });
      return;
    }
    const next: Partial<Record<VmFn, VmBelief>> = {
      'vm-create': 'created',
      'vm-start': 'running',
      'vm-stop': 'stopped',
      'vm-delete': 'absent',
    };
    const state = next[plan.f];
    if (state) this.#belief.set(plan.key, { state, node: b.node });
    else if (plan.f === 'vm-migrate')
      this.#belief.set(plan.key, { state: 'unknown', node: plan.target ?? '' });
  }
}

/** A VM's believed state from its status (migrating and starting/stopping: ask again). */
export function beliefOf(state: VmState): VmBelief {
  switch (state) {
    case VmState.CREATED:
      return 'created';
    case VmState.RUNNING:
      return 'running';
    case VmState.STOPPED:
    case VmState.FAILED:
      return 'stopped';
    default:
      return 'unknown';
  }
}

export function vmSpec(o: {
  clients: number;
  names: number;
  prefix: string;
  nodes: readonly string[];
}): WorkloadSpec {
  return plannedSpec(
    'vm',
    o.clients,
    (client, random) =>
      new VmPlanner({ client, random, names: o.names, prefix: `${o.prefix}.vm`, nodes: o.nodes }),
    vmOp,
  );
}

function vmOp(p: VmPlan, planner: VmPlanner): PlannedOp {
  const name = p.key;
  let seen: { state: VmBelief; node: string } | undefined;
  const op = (call: PlannedOp['call'], readOnly = false): PlannedOp => ({
    f: p.f,
    key: name,
    value: p.target,
    readOnly,
    call,
    done: (type) => planner.done(p, type, seen),
  });
  /** An op whose reply is only a message. */
  const messageOp = (send: (...args: Parameters<PlannedOp['call']>) => Promise<{ message: string }>) =>
    op(async (s, opts) => ({ result: { message: (await send(s, opts)).message } }));
  switch (p.f) {
    case 'vm-create':
      return op(async (s, opts) => {
        const r = await s.cluster.createVm({ name, vcpus: VM_VCPUS, memoryMb: BigInt(VM_MEMORY_MB) }, opts);
        seen = { state: 'created', node: r.nodeId };
        return { result: { node: r.nodeId, message: r.message } };
      });
    case 'vm-start':
      return messageOp((s, opts) => s.cluster.startVm({ name }, opts));
    case 'vm-stop':
      return messageOp((s, opts) => s.cluster.stopVm({ name }, opts));
    case 'vm-delete':
      return messageOp((s, opts) => s.cluster.deleteVm({ name }, opts));
    case 'vm-migrate':
      return op(async (s, opts) => {
        const r = await s.cluster.migrateVm({ vmName: name, targetNodeId: p.target ?? '' }, opts);
        return {
          result: { source: r.sourceNodeId, target: r.targetNodeId, status: r.status, message: r.message },
        };
      });
    case 'vm-status':
      return op(async (s, opts) => {
        // The node answers NOT_FOUND for a VM it has no record of: a read of its absence.
        const r = await s.cluster.getVmStatus({ name }, opts).catch((err: unknown) => {
          if (err instanceof RpcError && err.code === Code.NOT_FOUND) return { found: false, vm: undefined };
          throw err;
        });
        const vm = r.vm;
        seen = r.found && vm ? { state: beliefOf(vm.state), node: vm.nodeId } : { state: 'absent', node: '' };
        return {
          result:
            r.found && vm
              ? {
                  found: true,
                  state: stateName(vm.state),
                  node: vm.nodeId,
                  pid: vm.pid,
                  migratingTo: vm.migratingTo,
                  healthy: vm.healthy,
                }
              : { found: false },
        };
      }, true);
    case 'vm-list':
      return op(async (s, opts) => {
        const r = await s.cluster.listVms({}, opts);
        const vms = r.vms
          .filter((v) => v.name.startsWith(name))
          .map((v) => ({ name: v.name, state: stateName(v.state), node: v.nodeId, pid: v.pid }));
        return { result: { vms } };
      }, true);
  }
  throw new Error(`vm workload: no op '${p.f}'`);
}
