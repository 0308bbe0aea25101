import { describe, expect, it } from 'vitest';
import type { Logger } from '../log.ts';
import { ClusterState } from '../state/index.ts';
import type { GuestSpec, GuestStatus, VmBackend } from './backend.ts';
import { VmManager, type VmReport } from './vm-manager.ts';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** A backend that only records what it is asked to do. */
class RecordingBackend implements VmBackend {
  readonly kind = 'recording';
  readonly started: string[] = [];
  private readonly running = new Map<string, GuestStatus>();
  async start(spec: GuestSpec): Promise<GuestStatus> {
    this.started.push(spec.name);
    const g = {
      name: spec.name,
      pid: 1000 + this.started.length,
      startedAtMs: 1,
      healthy: true,
      lastHeartbeatMs: 1,
    };
    this.running.set(spec.name, g);
    return g;
  }
  async stop(name: string): Promise<void> {
    this.running.delete(name);
  }
  guests(): GuestStatus[] {
    return [...this.running.values()];
  }
  status(name: string): GuestStatus | undefined {
    return this.running.get(name);
  }
  known(): string[] {
    return [...this.running.keys()];
  }
  async forget(): Promise<void> {}
  async reapOrphans(): Promise<string[]> {
    return [];
  }
  async close(): Promise<void> {}
}

function setup(confirm: (state: ClusterState) => Promise<void>) {
  const state = new ClusterState();
  state.apply(1, {
    type: 'member.join',
    id: 'n1',
    address: { grpc: '', irohNodeId: '', irohAddrs: [] },
    capacity: { vcpus: 4, memoryMb: 4096, diskGb: 10 },
  });
  const vm = {
    name: 'v',
    vcpus: 1,
    memoryMb: 64,
    image: '',
    node: 'n1',
    antiAffinityGroup: '',
    metadata: {},
  };
  state.apply(2, { type: 'vm.create', vm, state: 'running' });
  const backend = new RecordingBackend();
  const reports: VmReport[] = [];
  let confirmed = 0;
  const manager = new VmManager({
    nodeId: 'n1',
    state,
    backend,
    report: async (r) => {
      reports.push(r);
      return state.applied;
    },
    waitApplied: async () => {},
    caughtUp: () => true,
    confirm: async () => {
      confirmed += 1;
      await confirm(state);
    },
    resolveImage: async () => undefined,
    reconcileMs: 10,
    log: quiet,
  });
  return { state, backend, reports, manager, confirmed: () => confirmed };
}

describe('VmManager', () => {
  it('boots a VM its confirmed state says it should run, and reports it running', async () => {
    const t = setup(async () => {});
    await t.manager.start();
    await expect.poll(() => t.reports.length).toBeGreaterThan(0);
    await t.manager.stop();
    expect(t.backend.started).toEqual(['v']);
    expect(t.reports[0]).toMatchObject({ name: 'v', state: 'running', expectNode: 'n1', pid: 1001 });
  });

  it('does not boot a VM from an old state: the read point shows it was taken over meanwhile', async () => {
    // The local state still says "running here"; catching up to the read point applies the takeover.
    const t = setup(async (state) => {
      if (state.vm('v')?.node === 'n1')
        state.apply(3, { type: 'vm.state', name: 'v', state: 'starting', node: 'n2' });
    });
    await t.manager.start();
    await expect.poll(() => t.confirmed()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    await t.manager.stop();
    expect(t.backend.started).toEqual([]);
  });

  it('starts nothing while the read point cannot be confirmed', async () => {
    const t = setup(async () => {
      throw new Error('no quorum');
    });
    await t.manager.start();
    await expect.poll(() => t.confirmed()).toBeGreaterThan(2);
    await t.manager.stop();
    expect(t.backend.started).toEqual([]);
  });
});
