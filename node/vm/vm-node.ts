/**
 * The VM part of a node, composed: the backend, the reconciler, the task
 * runner, the capacity announcement and the RPCs. BlixardNode creates it once
 * Raft is up, registers its services, and calls `onApplied` after each entry.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressBook, RaftDriver, ReadBarrier } from '../cluster/index.ts';
import type { NodeConfig } from '../config/index.ts';
import { createLogger } from '../log.ts';
import { type AddressRecord, type ClusterState, VM_STATES, type VmStateName } from '../state/index.ts';
import type { VmBackend } from './backend.ts';
import { CapacityAnnouncer } from './capacity-announcer.ts';
import { DEFAULT_GUEST, ProcessBackend } from './process-backend.ts';
import { TaskRunner } from './task-runner.ts';
import { taskServices } from './task-services.ts';
import { VmManager } from './vm-manager.ts';
import { vmServices } from './vm-services.ts';

export interface VmNodeDeps {
  config: NodeConfig;
  driver: RaftDriver;
  state: ClusterState;
  book: AddressBook;
  /** Where peers reach this node, announced with its capacity. */
  address: () => AddressRecord;
  /** The cluster's join token (`[cluster] join_token_file`), sent with the announcement. */
  joinToken?: string;
  /** The node's read barrier: a linearizable read point, applied here. */
  read: ReadBarrier;
}

export class VmNode {
  readonly manager: VmManager;
  readonly backend: VmBackend;
  private readonly vmRpc;
  private readonly taskRpc;
  private readonly tasks: TaskRunner;
  private readonly announcer: CapacityAnnouncer;
  private readonly nodeId: string;
  private readonly state: ClusterState;
  private timer: NodeJS.Timeout | undefined;

  constructor(d: VmNodeDeps) {
    const cfg = d.config;
    const vm = cfg.vm;
    const id = cfg.node.id;
    this.nodeId = id;
    this.state = d.state;
    const log = createLogger('vm', { node: id });
    this.backend = new ProcessBackend({
      root: join(cfg.node.data_dir, 'vms'),
      nodeId: id,
      program: vm.guest_program || DEFAULT_GUEST,
      memoryScale: vm.guest_memory_scale,
      heartbeatMs: vm.heartbeat_ms,
      heartbeatTimeoutMs: vm.heartbeat_timeout_ms,
      log,
    });
    // The node reconciles only from a state it knows to be current: a leader is known and what it
    // has heard committed is applied (after a restart, not some older point of the log).
    const caughtUp = () => d.driver.leaderId !== '' && d.state.applied >= d.driver.status().commit;
    const waitApplied = (index: number) => d.driver.waitApplied(index);
    const confirm = async () => {
      await d.read();
    };
    this.manager = new VmManager({
      nodeId: id,
      state: d.state,
      backend: this.backend,
      report: (r) => this.vmRpc.reporter(r),
      waitApplied,
      caughtUp,
      confirm,
      resolveImage: async (image) => localImage(cfg.node.data_dir, image),
      reconcileMs: vm.reconcile_ms,
      log,
    });
    this.vmRpc = vmServices({
      nodeId: id,
      dataDir: cfg.node.data_dir,
      driver: d.driver,
      state: d.state,
      book: d.book,
      proposalTimeoutMs: cfg.raft.proposal_timeout_ms,
      vm,
      manager: this.manager,
      read: d.read,
    });
    this.taskRpc = taskServices({
      nodeId: id,
      driver: d.driver,
      state: d.state,
      book: d.book,
      proposalTimeoutMs: cfg.raft.proposal_timeout_ms,
      allowlist: vm.task_allowlist,
      read: d.read,
    });
    this.tasks = new TaskRunner({
      nodeId: id,
      state: d.state,
      allowlist: vm.task_allowlist,
      outputLimitBytes: vm.task_output_limit_bytes,
      defaultTimeoutSecs: 60,
      report: (r) => this.taskRpc.reporter(r),
      waitApplied,
      caughtUp,
      confirm,
      log: createLogger('task', { node: id }),
    });
    this.announcer = new CapacityAnnouncer({
      nodeId: id,
      capacity: { vcpus: vm.vcpus, memoryMb: vm.memory_mb, diskGb: vm.disk_gb },
      address: d.address,
      driver: d.driver,
      book: d.book,
      state: d.state,
      timeoutMs: cfg.raft.proposal_timeout_ms * 2,
      log,
      ...(d.joinToken !== undefined ? { joinToken: d.joinToken } : {}),
    });
  }

  /** The handlers to register: VM, scheduling and task RPCs, and the two report RPCs. */
  get services() {
    return {
      cluster: { ...this.vmRpc.cluster, ...this.taskRpc.cluster },
      blixard: { ...this.vmRpc.blixard, ...this.taskRpc.blixard },
    };
  }

  async start(): Promise<void> {
    await this.manager.start();
    this.timer = setInterval(() => this.poll(), 250);
  }

  /**
   * Boots VMs from the image store: `ensure` gives the local file of an image,
   * fetching it from a peer first (as on a migration's target). An image the
   * store does not know may still be a plain file under data_dir/images.
   */
  useImageStore(ensure: (image: string) => Promise<string | undefined>): void {
    const fallback = this.manager.resolveImage;
    this.manager.resolveImage = async (image) => (await ensure(image)) ?? fallback(image);
  }

  /** After each applied entry: the reconciler and the task runner look again. */
  onApplied(): void {
    this.manager.kick();
    this.tasks.poll();
  }

  private poll(): void {
    this.announcer.poll();
    this.tasks.poll();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.tasks.stop();
    await this.manager.stop();
  }

  /** VMs this node owns, by state: the `blixard_vms` gauge. */
  countsByState(): Record<VmStateName, number> {
    const counts = Object.fromEntries(VM_STATES.map((s) => [s, 0])) as Record<VmStateName, number>;
    for (const vm of this.state.vms()) if (vm.node === this.nodeId) counts[vm.state] += 1;
    return counts;
  }
}

/** An image present as a plain file under data_dir/images; the image store may replace this lookup. */
function localImage(dataDir: string, image: string): string | undefined {
  const path = join(dataDir, 'images', image);
  return existsSync(path) ? path : undefined;
}
