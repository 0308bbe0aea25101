/**
 * Three real node processes on loopback, VMs as real guest processes: the
 * life cycle of a VM over gRPC and over Iroh clients, placement by strategy,
 * the error codes, tasks, and node kills during a migration and a create.
 * Guests are checked on /proc: each runs on its owner only, and none outlives
 * the tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VmState } from '../gen/blixard_pb.js';
import { LocalCluster } from '../testing/local-cluster.ts';
import { type CodeName, RpcError } from '../transport/index.ts';
import { guestProcesses, killGuests } from './testing/guest-processes.ts';

const NODES = ['n1', 'n2', 'n3'];
const LIVENESS_MS = 30_000;
const poll = { timeout: LIVENESS_MS, interval: 100 };

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await LocalCluster.start({
    nodes: 3,
    mode: 'dual',
    extraToml: `
[vm]
vcpus = 8
memory_mb = 8192
disk_gb = 50
guest_memory_scale = 0.01
heartbeat_ms = 200
heartbeat_timeout_ms = 3000
reconcile_ms = 200
`,
  });
});

afterAll(async () => {
  const dir = cluster?.dir;
  await cluster?.stop();
  if (dir) {
    // Nodes stop their guests on SIGTERM, and guests exit when their node dies: none may be left.
    const left = killGuests(dir);
    expect(left).toBe(0);
  }
});

const running = () => NODES.filter((id) => cluster.isRunning(id));
const client = async (id: string, transport: 'grpc' | 'iroh' = 'grpc') =>
  (await cluster.clients(id, transport)).cluster;
const guests = (vm: string) => guestProcesses(cluster.dir).filter((g) => g.vm === vm);

async function codeOf(p: Promise<unknown>): Promise<CodeName | 'OK'> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (err instanceof RpcError) return err.codeName;
    throw err;
  }
}

async function vmStatus(vm: string, via = 'n1') {
  const c = await client(via);
  return (await c.getVmStatus({ name: vm }, { timeoutMs: 2000 })).vm;
}

/** Waits until the VM is RUNNING on `node` by the state and by /proc, and nowhere else. */
async function runningOn(vm: string, node: string): Promise<number> {
  let pid = 0;
  await expect
    .poll(async () => {
      const s = await vmStatus(vm, running()[0]).catch(() => undefined);
      const procs = guests(vm);
      pid = s?.pid ?? 0;
      return (
        s?.state === VmState.RUNNING &&
        s.nodeId === node &&
        procs.length === 1 &&
        procs[0]?.node === node &&
        procs[0]?.pid === pid
      );
    }, poll)
    .toBe(true);
  return pid;
}

async function stoppedEverywhere(vm: string): Promise<void> {
  await expect
    .poll(async () => {
      const s = await vmStatus(vm, running()[0]).catch(() => undefined);
      return s?.state === VmState.STOPPED && guests(vm).length === 0;
    }, poll)
    .toBe(true);
}

/** All running nodes at one applied index with one state digest. */
async function _replicasAgree(): Promise<void> {
  await expect
    .poll(async () => {
      const all = await Promise.all(
        running().map(async (id) =>
          (await client(id)).getClusterStatus({}, { timeoutMs: 2000 }).catch(() => undefined),
        ),
      );
      const first = all[0];
      return all.every(
        (s) => s && s.appliedIndex === first?.appliedIndex && s.stateDigest === first?.stateDigest,
      );
    }, poll)
    .toBe(true);
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('every node reports the capacity of its [vm] config', async () => {
  const c = await client('n1');
  await expect
    .poll(
      async () =>
        (await c.getClusterResourceSummary({}, { timeoutMs: 2000 }).catch(() => undefined))?.totalNodes,
      poll,
    )
    .toBe(3);
  const summary = await c.getClusterResourceSummary({}, { timeoutMs: 2000 });
  expect(summary.total).toMatchObject({ vcpus: 24, memoryMb: 3n * 8192n, diskGb: 150n });
  expect(summary.nodes.map((n) => n.nodeId)).toEqual(NODES);
});

describe.each(['grpc', 'iroh'] as const)('VM life cycle over %s', (transport) => {
  const vm = `life-${transport}`;

  it('creates a VM on the chosen node and its guest process appears there', async () => {
    const c = await client('n1', transport);
    const reply = await c.createVm(
      { name: vm, vcpus: 1, memoryMb: 128n, nodeId: 'n2' },
      { timeoutMs: 10_000 },
    );
    expect(reply).toMatchObject({ success: true, nodeId: 'n2', vmId: vm });
    const pid = await runningOn(vm, 'n2');
    expect(isAlive(pid)).toBe(true);
    const listed = await c.listVms({ nodeId: 'n2' }, { timeoutMs: 2000 });
    expect(listed.vms.map((v) => v.name)).toContain(vm);
  });

  it('stops and starts it again', async () => {
    const c = await client('n3', transport);
    const before = (await vmStatus(vm))?.pid ?? 0;
    expect((await c.stopVm({ name: vm }, { timeoutMs: 10_000 })).success).toBe(true);
    await stoppedEverywhere(vm);
    expect(isAlive(before)).toBe(false);
    expect((await c.startVm({ name: vm }, { timeoutMs: 10_000 })).success).toBe(true);
    const after = await runningOn(vm, 'n2');
    expect(after).not.toBe(before);
  });

  it('migrates it: stopped on the source, started on the target, never on both', async () => {
    const c = await client('n1', transport);
    const before = (await vmStatus(vm))?.pid ?? 0;
    const reply = await c.migrateVm({ vmName: vm, targetNodeId: 'n3' }, { timeoutMs: 10_000 });
    expect(reply).toMatchObject({
      success: true,
      sourceNodeId: 'n2',
      targetNodeId: 'n3',
      status: 'MIGRATING',
    });
    let seenOnTwo = false;
    await expect
      .poll(async () => {
        const procs = guests(vm);
        if (procs.length > 1) seenOnTwo = true;
        const s = await vmStatus(vm).catch(() => undefined);
        return (
          s?.state === VmState.RUNNING && s.nodeId === 'n3' && procs.length === 1 && procs[0]?.node === 'n3'
        );
      }, poll)
      .toBe(true);
    expect(seenOnTwo).toBe(false);
    expect(isAlive(before)).toBe(false);
  });

  it('refuses to delete it while running, then deletes it once stopped', async () => {
    const c = await client('n2', transport);
    expect(await codeOf(c.deleteVm({ name: vm }, { timeoutMs: 10_000 }))).toBe('FAILED_PRECONDITION');
    await c.stopVm({ name: vm }, { timeoutMs: 10_000 });
    await stoppedEverywhere(vm);
    expect((await c.deleteVm({ name: vm }, { timeoutMs: 10_000 })).success).toBe(true);
    expect(await codeOf(c.getVmStatus({ name: vm }, { timeoutMs: 2000 }))).toBe('NOT_FOUND');
    expect(guests(vm)).toEqual([]);
  });
});
