/**
 * The VM reconciler loop of one node: after every applied entry (and on a
 * timer, for heartbeats) it compares the replicated VM records with the
 * guests the backend runs, carries out the decided actions and reports their
 * outcome through Raft. Each VM has at most one action in flight.
 */
import { within } from '../lib/index.ts';
import type { Logger } from '../log.ts';
import type { ClusterState, VmStateName } from '../state/index.ts';
import type { GuestStatus, VmBackend } from './backend.ts';
import { type ReconcileAction, RUN_STATES, reconcile } from './reconcile.ts';

/** A guarded state change of a VM this node owns. */
export interface VmReport {
  name: string;
  state: VmStateName;
  expect: VmStateName[];
  expectNode: string;
  node?: string;
  pid?: number;
  atMs: number;
  message?: string;
}

export interface VmManagerOptions {
  nodeId: string;
  state: ClusterState;
  backend: VmBackend;
  /** Proposes the report through the leader; resolves with the log index it was given. */
  report: (r: VmReport) => Promise<number>;
  waitApplied: (index: number) => Promise<void>;
  /** True once the node knows a leader and has applied what it knows to be committed. */
  caughtUp: () => boolean;
  /** Resolves once this node has applied everything the leader had committed when asked (ReadIndex). */
  confirm: () => Promise<void>;
  /** Local path of a VM's image (fetching it first if the image store can); undefined: an empty disk. */
  resolveImage: (image: string) => Promise<string | undefined>;
  reconcileMs: number;
  log: Logger;
}

export class VmManager {
  private readonly o: VmManagerOptions;
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private queued = false;
  private confirming = false;
  private stopped = false;
  /** Replaced by the image store when it is wired in. */
  resolveImage: (image: string) => Promise<string | undefined>;

  constructor(o: VmManagerOptions) {
    this.o = o;
    this.resolveImage = o.resolveImage;
  }

  async start(): Promise<void> {
    const reaped = await this.o.backend.reapOrphans();
    if (reaped.length > 0) this.o.log.warn('reaped guests left by an earlier run', { vms: reaped });
    this.timer = setInterval(() => this.kick(), this.o.reconcileMs);
    this.kick();
  }

  /** Runs a round soon; many kicks in a row make one round. */
  kick(): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      if (!this.stopped) this.round();
    });
  }

  guest(name: string): GuestStatus | undefined {
    return this.o.backend.status(name);
  }

  guests(): GuestStatus[] {
    return this.o.backend.guests();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
    await this.o.backend.close();
  }

  private decide(): ReconcileAction[] {
    return reconcile({
      self: this.o.nodeId,
      vms: this.o.state.vms().map((v) => ({ ...v, pid: v.pid ?? 0 })),
      guests: this.o.backend.guests(),
      known: this.o.backend.known(),
      busy: this.busy,
      caughtUp: this.o.caughtUp(),
    });
  }

  /**
   * Stops and reports go ahead on the local state (they are safe on a stale
   * one: a report is guarded, a wrongly stopped guest is started again).
   * Starts wait for a ReadIndex round: a node back from a restart or a
   * partition may hold an old state in which a VM since taken over by another
   * node is still its own, and must not boot it from that.
   */
  private round(): void {
    const actions = this.decide();
    for (const action of actions) if (action.kind !== 'start') this.run(action);
    if (this.confirming || !actions.some((a) => a.kind === 'start')) return;
    this.confirming = true;
    const job = this.o
      .confirm()
      .then(() => {
        if (this.stopped) return;
        for (const action of this.decide()) if (action.kind === 'start') this.run(action);
      })
      .catch((err: unknown) =>
        this.o.log.debug('state not confirmed; guests not started this round', { error: String(err) }),
      )
      .finally(() => {
        this.confirming = false;
        this.inFlight.delete(job);
      });
    this.inFlight.add(job);
  }

  private run(action: ReconcileAction): void {
    this.busy.add(action.name);
    const job = this.perform(action)
      .catch((err: unknown) =>
        this.o.log.warn('vm action failed', { vm: action.name, action: action.kind, error: String(err) }),
      )
      .finally(() => {
        this.busy.delete(action.name);
        this.inFlight.delete(job);
        this.kick();
      });
    this.inFlight.add(job);
  }

  private async perform(action: ReconcileAction): Promise<void> {
    const { backend, log } = this.o;
    switch (action.kind) {
      case 'start': {
        const vm = this.o.state.vm(action.name);
        if (!vm) return;
        log.info('starting vm', { vm: vm.name, vcpus: vm.vcpus, memory_mb: vm.memoryMb, image: vm.image });
        let guest: GuestStatus;
        try {
          const imagePath = vm.image ? await this.resolveImage(vm.image) : undefined;
          guest = await backend.start({ name: vm.name, vcpus: vm.vcpus, memoryMb: vm.memoryMb, imagePath });
        } catch (err) {
          await this.send({
            name: vm.name,
            state: 'failed',
            expect: [...RUN_STATES],
            expectNode: this.o.nodeId,
            atMs: Date.now(),
            message: String(err),
          });
          throw err;
        }
        log.info('vm running', { vm: vm.name, pid: guest.pid });
        await this.send({
          name: vm.name,
          state: 'running',
          expect: [...RUN_STATES],
          expectNode: this.o.nodeId,
          pid: guest.pid,
          atMs: guest.startedAtMs,
        });
        return;
      }
      case 'stop':
        log.info('stopping guest', { vm: action.name, reason: action.reason });
        await backend.stop(action.name, false);
        return;
      case 'report':
        await this.send({
          name: action.name,
          state: action.state,
          expect: action.expect,
          expectNode: this.o.nodeId,
          ...(action.node !== undefined ? { node: action.node } : {}),
          ...(action.pid !== undefined ? { pid: action.pid } : {}),
          // For a running report, when the guest started (its uptime is measured from there).
          atMs: this.o.backend.status(action.name)?.startedAtMs ?? Date.now(),
        });
        return;
      case 'forget':
        log.info('removing files of a deleted vm', { vm: action.name });
        await backend.forget(action.name);
        return;
    }
  }

  /** Reports and waits until this node has applied the report, so the next round sees its effect. */
  private async send(r: VmReport): Promise<void> {
    const index = await this.o.report(r);
    // Bounded: a report that is never applied here (leadership lost) must not stall the loop.
    await within(this.o.waitApplied(index), 5000, undefined);
  }
}
