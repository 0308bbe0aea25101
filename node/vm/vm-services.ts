/**
 * The VM and scheduling RPCs. Every decision is a Raft command proposed by
 * the leader (a follower forwards the request there); the owning node's
 * reconciler carries it out and reports back (ReportVmState). Failures carry the same status code on both transports:
 * unknown VM NOT_FOUND, duplicate name ALREADY_EXISTS, delete of a running VM
 * FAILED_PRECONDITION, invalid name or resources INVALID_ARGUMENT, unknown
 * image NOT_FOUND, no room RESOURCE_EXHAUSTED. The reads (ListVms,
 * GetVmStatus, ScheduleVmPlacement, GetClusterResourceSummary) answer from
 * local state after the node's read barrier: linearizable unless the request
 * asks for LOCAL.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressBook, RaftDriver, ReadBarrier } from '../cluster/index.ts';
import { checkImageRef, checkName, leaderClient } from '../cluster/index.ts';
import type { NodeConfig } from '../config/index.ts';
import { PlacementStrategy } from '../gen/blixard_pb.js';
import {
  type ClusterState,
  type Command,
  nodeUsage,
  type VmRecord,
  type VmSpecRecord,
  type VmStateName,
} from '../state/index.ts';
import {
  BlixardService,
  type CallContext,
  ClusterService,
  Code,
  createClient,
  RpcError,
  type ServiceImpl,
} from '../transport/index.ts';
import { vmInfo, vmStateFromProto, vmStateToProto } from './proto-map.ts';
import { roomsOf } from './rooms.ts';
import { type PlacementRequest, placeVm, type Strategy } from './scheduler.ts';
import type { VmManager, VmReport } from './vm-manager.ts';

export interface VmServicesDeps {
  nodeId: string;
  dataDir: string;
  driver: RaftDriver;
  state: ClusterState;
  book: AddressBook;
  proposalTimeoutMs: number;
  vm: NodeConfig['vm'];
  manager: VmManager;
  /** Before every read: a linearizable read point applied here, unless the request asks for LOCAL. */
  read: ReadBarrier;
}

const STRATEGY: Record<PlacementStrategy, Strategy> = {
  [PlacementStrategy.UNSPECIFIED]: 'most-available',
  [PlacementStrategy.MOST_AVAILABLE]: 'most-available',
  [PlacementStrategy.BIN_PACK]: 'bin-pack',
  [PlacementStrategy.ROUND_ROBIN]: 'round-robin',
  [PlacementStrategy.ANTI_AFFINITY]: 'anti-affinity',
};

export function vmServices(d: VmServicesDeps) {
  const { driver, state } = d;
  /** Round-robin's turn: the node it placed on last (leader memory; a new leader starts over). */
  let lastRoundRobin = '';

  const forwardOpts = (ctx: CallContext) => ({ signal: ctx.signal, timeoutMs: d.proposalTimeoutMs * 2 });
  const cluster = () => leaderClient(driver, d.book, ClusterService);

  async function propose(cmd: Command): Promise<number> {
    const committed = await driver.propose(cmd, d.proposalTimeoutMs);
    if (!committed.result.ok) throw new RpcError(Code[committed.result.code], committed.result.message);
    return committed.index;
  }

  /**
   * A client's transition, decided on the VM's state as read and proposed guarded by it. The owner may
   * move the VM between the read and the apply (starting → running when its guest boots): then the
   * guard refuses, and the call is decided again on the new state — the client asked for an outcome,
   * not for the state it happened to see. Bounded: a VM that keeps moving gets the last refusal.
   */
  async function settled<T>(name: string, decide: (vm: VmRecord) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const vm = vmOrThrow(name);
      const seen = vm.state; // the record may change in place when the owner's move is applied
      try {
        return await decide(vm);
      } catch (err) {
        const moved = state.vm(name)?.state !== seen;
        if (!(err instanceof RpcError && err.code === Code.FAILED_PRECONDITION && moved && attempt < 4))
          throw err;
      }
    }
  }

  function vmOrThrow(name: string) {
    const vm = state.vm(name);
    if (!vm) throw new RpcError(Code.NOT_FOUND, `vm '${name}' not found`);
    return vm;
  }

  const rooms = () => roomsOf(driver, state, d.nodeId);

  function checkResources(nameField: string, name: string, vcpus: number, memoryMb: number): void {
    checkName(nameField, name);
    if (vcpus < 1) throw new RpcError(Code.INVALID_ARGUMENT, `vcpus must be at least 1 (got ${vcpus})`);
    if (memoryMb < 1)
      throw new RpcError(Code.INVALID_ARGUMENT, `memory_mb must be at least 1 (got ${memoryMb})`);
  }

  function checkImage(image: string): void {
    if (!image) return;
    const known =
      state.image(image) !== undefined ||
      state.images().some((i) => i.hash === image) ||
      existsSync(join(d.dataDir, 'images', image));
    if (!known)
      throw new RpcError(Code.NOT_FOUND, `image '${image}' not found in the cluster's image catalog`);
  }

  function place(req: PlacementRequest, strategy: Strategy) {
    const p = placeVm(rooms(), req, strategy, lastRoundRobin);
    if (!p.ok) throw new RpcError(Code.RESOURCE_EXHAUSTED, p.reason);
    return p;
  }

  /** The leader's create: validated, placed, and created in state starting (the owner boots it). */
  async function create(spec: VmSpecRecord, strategy: Strategy, explicitNode: string) {
    checkResources('name', spec.name, spec.vcpus, spec.memoryMb);
    if (state.vm(spec.name)) throw new RpcError(Code.ALREADY_EXISTS, `vm '${spec.name}' already exists`);
    checkImage(spec.image);
    let node = explicitNode;
    let reason = `placed on ${explicitNode} as requested`;
    if (node) {
      if (!state.member(node)) throw new RpcError(Code.NOT_FOUND, `node '${node}' is not a member`);
    } else {
      const p = place(
        { vcpus: spec.vcpus, memoryMb: spec.memoryMb, antiAffinityGroup: spec.antiAffinityGroup },
        strategy,
      );
      node = p.node;
      reason = p.reason;
      if (strategy === 'round-robin') lastRoundRobin = node;
    }
    await propose({ type: 'vm.create', vm: { ...spec, node }, state: 'starting', fit: true });
    return { node, reason };
  }

  /** Whether `node` answers a health check now. */
  async function answers(node: string): Promise<boolean> {
    if (node === d.nodeId) return true;
    const channel = d.book.channel(node);
    if (!channel) return false;
    return createClient(ClusterService, channel)
      .healthCheck({}, { timeoutMs: 1000 })
      .then(
        () => true,
        () => false,
      );
  }

  const impl: Partial<ServiceImpl<typeof ClusterService>> = {
    createVm: async (req, ctx) => {
      checkResources('name', req.name, req.vcpus, Number(req.memoryMb));
      checkImageRef('image', req.image);
      if (!driver.isLeader) return cluster().createVm(req, forwardOpts(ctx));
      const { node } = await create(
        {
          name: req.name,
          vcpus: req.vcpus,
          memoryMb: Number(req.memoryMb),
          image: req.image,
          node: '',
          antiAffinityGroup: '',
          metadata: req.configPath ? { config_path: req.configPath } : {},
        },
        'most-available',
        req.nodeId,
      );
      return { success: true, message: `vm '${req.name}' created on ${node}`, vmId: req.name, nodeId: node };
    },

    createVmWithScheduling: async (req, ctx) => {
      const c = req.config;
      if (!c) throw new RpcError(Code.INVALID_ARGUMENT, 'config is required');
      checkResources('config.name', c.name, c.vcpus, Number(c.memoryMb));
      checkImageRef('config.image', c.image);
      if (!driver.isLeader) return cluster().createVmWithScheduling(req, forwardOpts(ctx));
      const strategy = STRATEGY[req.strategy] ?? 'most-available';
      const { node, reason } = await create(
        {
          name: c.name,
          vcpus: c.vcpus,
          memoryMb: Number(c.memoryMb),
          image: c.image,
          node: '',
          antiAffinityGroup: c.antiAffinityGroup,
          metadata: { ...c.metadata },
        },
        c.antiAffinityGroup && strategy === 'most-available' ? 'anti-affinity' : strategy,
        '',
      );
      return {
        success: true,
        message: `vm '${c.name}' created`,
        vmId: c.name,
        assignedNode: node,
        placementReason: reason,
      };
    },

    scheduleVmPlacement: async (req, ctx) => {
      const c = req.config;
      if (!c) throw new RpcError(Code.INVALID_ARGUMENT, 'config is required');
      // The VM need not be named yet: the name is checked only when given.
      checkResources('config.name', c.name || 'placement', c.vcpus, Number(c.memoryMb));
      await d.read(req.consistency, ctx.signal);
      const p = place(
        { vcpus: c.vcpus, memoryMb: Number(c.memoryMb), antiAffinityGroup: c.antiAffinityGroup },
        STRATEGY[req.strategy] ?? 'most-available',
      );
      return {
        success: true,
        message: 'placement found',
        targetNode: p.node,
        reason: p.reason,
        alternativeNodes: p.alternatives,
      };
    },

    startVm: async (req, ctx) => {
      checkName('name', req.name);
      if (!driver.isLeader) return cluster().startVm(req, forwardOpts(ctx));
      return settled(req.name, async (vm) => {
        if (vm.state === 'running' || vm.state === 'starting')
          return { success: true, message: `vm '${req.name}' is already ${vm.state}` };
        if (vm.state === 'migrating' || vm.state === 'stopping')
          throw new RpcError(
            Code.FAILED_PRECONDITION,
            `vm '${req.name}' is ${vm.state}; wait until it settles`,
          );
        await propose({
          type: 'vm.state',
          name: req.name,
          state: 'starting',
          expect: ['created', 'stopped', 'failed'],
        });
        return { success: true, message: `vm '${req.name}' starting on ${vm.node}` };
      });
    },

    stopVm: async (req, ctx) => {
      checkName('name', req.name);
      if (!driver.isLeader) return cluster().stopVm(req, forwardOpts(ctx));
      return settled(req.name, async (vm) => {
        if (vm.state === 'stopped' || vm.state === 'created' || vm.state === 'stopping')
          return { success: true, message: `vm '${req.name}' is already ${vm.state}` };
        if (vm.state === 'migrating' && !req.force)
          throw new RpcError(Code.FAILED_PRECONDITION, `vm '${req.name}' is migrating; stop it with force`);
        // A failed VM has no guest to stop; anything else goes through its owner, which confirms.
        const next: VmStateName = vm.state === 'failed' ? 'stopped' : 'stopping';
        await propose({ type: 'vm.state', name: req.name, state: next, expect: [vm.state] });
        return { success: true, message: `vm '${req.name}' ${next} on ${vm.node}` };
      });
    },

    deleteVm: async (req, ctx) => {
      checkName('name', req.name);
      if (!driver.isLeader) return cluster().deleteVm(req, forwardOpts(ctx));
      const vm = vmOrThrow(req.name);
      if (vm.state === 'stopping')
        throw new RpcError(
          Code.FAILED_PRECONDITION,
          `vm '${req.name}' is still stopping; try again once stopped`,
        );
      await propose({ type: 'vm.delete', name: req.name });
      return { success: true, message: `vm '${req.name}' deleted` };
    },

    listVms: async (req, ctx) => {
      const want = req.state ? vmStateFromProto(req.state) : undefined;
      if (req.state && !want) throw new RpcError(Code.INVALID_ARGUMENT, `unknown vm state ${req.state}`);
      await d.read(req.consistency, ctx.signal);
      const now = Date.now();
      return {
        vms: state
          .vms()
          .filter((v) => (!req.nodeId || v.node === req.nodeId) && (!want || v.state === want))
          .map((v) => vmInfo(v, v.node === d.nodeId ? d.manager.guest(v.name) : undefined, now)),
      };
    },

    getVmStatus: async (req, ctx) => {
      checkName('name', req.name);
      await d.read(req.consistency, ctx.signal);
      const vm = vmOrThrow(req.name);
      return {
        found: true,
        vm: vmInfo(vm, vm.node === d.nodeId ? d.manager.guest(vm.name) : undefined, Date.now()),
      };
    },

    migrateVm: async (req, ctx) => {
      checkName('vm_name', req.vmName);
      if (!driver.isLeader) return cluster().migrateVm(req, forwardOpts(ctx));
      const vm = vmOrThrow(req.vmName);
      const target = req.targetNodeId;
      if (!target) throw new RpcError(Code.INVALID_ARGUMENT, 'target_node_id is required');
      if (!state.member(target)) throw new RpcError(Code.NOT_FOUND, `node '${target}' is not a member`);
      if (vm.node === target)
        throw new RpcError(Code.FAILED_PRECONDITION, `vm '${vm.name}' is already on ${target}`);
      const source = vm.node;
      if (vm.state === 'running' || vm.state === 'starting') {
        // The owner stops the guest and hands the VM over; the target then boots it.
        await propose({
          type: 'vm.state',
          name: vm.name,
          state: 'migrating',
          migratingTo: target,
          expect: ['running', 'starting'],
          expectNode: source,
          fit: true,
        });
        return {
          success: true,
          message: `vm '${vm.name}' migrating`,
          sourceNodeId: source,
          targetNodeId: target,
          status: 'MIGRATING',
        };
      }
      if (vm.state === 'migrating') {
        if (!req.force)
          throw new RpcError(
            Code.FAILED_PRECONDITION,
            `vm '${vm.name}' is already migrating to ${vm.migratingTo}; force takes it over if ${source} is gone`,
          );
        // Only the owner may hand a VM over; force does it for an owner that does not answer, since a
        // dead node's guests died with it. (An owner cut off but alive stops its guest once it hears.)
        if (await answers(source))
          throw new RpcError(
            Code.FAILED_PRECONDITION,
            `${source} is up and will finish the hand-off of '${vm.name}' itself`,
          );
        await propose({
          type: 'vm.state',
          name: vm.name,
          state: 'starting',
          node: target,
          expect: ['migrating'],
          expectNode: source,
          fit: true,
        });
        return {
          success: true,
          message: `vm '${vm.name}' taken over from ${source}, which does not answer`,
          sourceNodeId: source,
          targetNodeId: target,
          status: 'TAKEN_OVER',
        };
      }
      if (vm.state === 'created' || vm.state === 'stopped' || vm.state === 'failed') {
        await propose({
          type: 'vm.state',
          name: vm.name,
          state: vm.state,
          node: target,
          expect: [vm.state],
          expectNode: source,
          fit: true,
        });
        return {
          success: true,
          message: `stopped vm '${vm.name}' moved`,
          sourceNodeId: source,
          targetNodeId: target,
          status: 'MOVED',
        };
      }
      throw new RpcError(Code.FAILED_PRECONDITION, `vm '${vm.name}' is ${vm.state}; wait until it settles`);
    },

    getClusterResourceSummary: async (req, ctx) => {
      await d.read(req.consistency, ctx.signal);
      const vms = state.vms();
      const nodes = state.members().map((m) => {
        const used = nodeUsage(vms, m.id);
        return {
          nodeId: m.id,
          capacity: {
            vcpus: m.capacity.vcpus,
            memoryMb: BigInt(m.capacity.memoryMb),
            diskGb: BigInt(m.capacity.diskGb),
          },
          used: { vcpus: used.vcpus, memoryMb: BigInt(used.memoryMb), diskGb: 0n },
          runningVms: used.running,
        };
      });
      const sum = (f: (n: (typeof nodes)[number]) => number) => nodes.reduce((a, n) => a + f(n), 0);
      return {
        totalNodes: nodes.length,
        total: {
          vcpus: sum((n) => n.capacity.vcpus),
          memoryMb: BigInt(sum((n) => Number(n.capacity.memoryMb))),
          diskGb: BigInt(sum((n) => Number(n.capacity.diskGb))),
        },
        used: {
          vcpus: sum((n) => n.used.vcpus),
          memoryMb: BigInt(sum((n) => Number(n.used.memoryMb))),
          diskGb: 0n,
        },
        totalVms: vms.length,
        runningVms: vms.filter((v) => v.state === 'running').length,
        nodes,
      };
    },
  };

  /** The leader turns a VM report into its guarded command; the result (applied or refused) is the report's answer. */
  async function applyVmReport(r: VmReport): Promise<{ index: number; ok: boolean; message: string }> {
    return driver.proposeReport(
      {
        type: 'vm.state',
        name: r.name,
        state: r.state,
        expect: r.expect,
        expectNode: r.expectNode,
        ...(r.node ? { node: r.node } : {}),
        ...(r.pid !== undefined ? { pid: r.pid } : {}),
        atMs: r.atMs,
      },
      d.proposalTimeoutMs,
    );
  }

  const blixard: Partial<ServiceImpl<typeof BlixardService>> = {
    reportVmState: async (req, ctx) => {
      checkName('name', req.name);
      const state = vmStateFromProto(req.state);
      const expect = req.expected.map(vmStateFromProto);
      if (!state || expect.some((s) => s === undefined))
        throw new RpcError(Code.INVALID_ARGUMENT, 'unknown vm state');
      if (!driver.isLeader)
        return leaderClient(driver, d.book, BlixardService).reportVmState(req, forwardOpts(ctx));
      const r = await applyVmReport({
        name: req.name,
        state,
        expect: expect as VmStateName[],
        expectNode: req.expectedNode,
        ...(req.nodeId ? { node: req.nodeId } : {}),
        ...(state === 'running' ? { pid: req.pid } : {}),
        atMs: Number(req.atMs),
      });
      return { success: r.ok, message: r.message, index: BigInt(r.index) };
    },
  };

  /** How this node's reconciler reports: directly when leading, else to the leader. */
  const reporter = async (r: VmReport): Promise<number> => {
    if (driver.isLeader) return (await applyVmReport(r)).index;
    const reply = await leaderClient(driver, d.book, BlixardService).reportVmState(
      {
        name: r.name,
        state: vmStateToProto(r.state),
        nodeId: r.node ?? '',
        expected: r.expect.map(vmStateToProto),
        expectedNode: r.expectNode,
        pid: r.pid ?? 0,
        atMs: BigInt(Math.floor(r.atMs)),
        reporter: d.nodeId,
        message: r.message ?? '',
      },
      { timeoutMs: d.proposalTimeoutMs * 2 },
    );
    return Number(reply.index);
  };

  return { cluster: impl, blixard, reporter };
}
