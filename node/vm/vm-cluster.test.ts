/**
 * Three real node processes on loopback, VMs as real guest processes: the
 * life cycle of a VM over gRPC and over Iroh clients, placement by strategy,
 * the error codes, tasks, and node kills during a migration and a create.
 * Guests are checked on /proc: each runs on its owner only, and none outlives
 * the tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PlacementStrategy, TaskState, VmState } from '../gen/blixard_pb.js';
import type { LocalCluster } from '../testing/index.ts';
import { type CodeName, RpcError } from '../transport/index.ts';
import { placeVm, type Strategy } from './scheduler.ts';
import { guestProcesses } from './testing/guest-processes.ts';
import {
  VM_NODES as NODES,
  reportDeadNodes,
  startVmCluster,
  stopVmCluster,
  vmClusterAccess,
} from './testing/vm-cluster.ts';

/** Liveness bound for polls: generous, since these tests share the host's two cores with other suites. */
const LIVENESS_MS = 60_000;
const poll = { timeout: LIVENESS_MS, interval: 100 };

// A test waits on several polls in a row, each bounded by the liveness bound.
vi.setConfig({ testTimeout: 240_000 });

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startVmCluster({ mode: 'dual', vm: { disk_gb: 50, heartbeat_timeout_ms: 3000 } });
});

afterAll(async () => {
  reportDeadNodes(cluster);
  expect(await stopVmCluster(cluster)).toBe(0);
});

const { running, client, allNodesReport } = vmClusterAccess(() => cluster);
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
async function replicasAgree(): Promise<void> {
  await expect.poll(() => cluster.replicasAgree(running()), poll).toBe(true);
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
  await allNodesReport(poll);
  const summary = await (await client('n1')).getClusterResourceSummary({}, { timeoutMs: 2000 });
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

it('exposes the VMs a node owns by state on /metrics', async () => {
  const c = await client('n1');
  await c.createVm({ name: 'gauge', vcpus: 1, memoryMb: 64n, nodeId: 'n1' }, { timeoutMs: 10_000 });
  await runningOn('gauge', 'n1');
  const scrape = async () =>
    (await fetch(`http://127.0.0.1:${cluster.spec('n1').metricsPort}/metrics`)).text();
  await expect.poll(scrape, poll).toMatch(/blixard_vms\{[^}]*state="running"[^}]*\} [1-9]/);
  expect(await scrape()).toMatch(/blixard_vms\{[^}]*state="migrating"[^}]*\} 0/);
  await c.stopVm({ name: 'gauge' }, { timeoutMs: 10_000 });
  await stoppedEverywhere('gauge');
  await c.deleteVm({ name: 'gauge' }, { timeoutMs: 10_000 });
});

it('boots a VM from an image shared on another node, which its owner fetches over Iroh', async () => {
  const t = { timeoutMs: 20_000 };
  const data = new Uint8Array(3 * 2 ** 20 + 123).map((_, i) => (i * 31) & 0xff);
  const c = await client('n1');
  expect((await c.shareVmImage({ imageName: 'disk-a', version: '1', data }, t)).success).toBe(true);
  const disk = (node: string) =>
    JSON.parse(readFileSync(join(cluster.spec(node).dataDir, 'vms', 'imaged', 'heartbeat.json'), 'utf8'))
      .disk as {
      bytes: number;
    };
  await c.createVm({ name: 'imaged', vcpus: 1, memoryMb: 64n, image: 'disk-a', nodeId: 'n3' }, t);
  await runningOn('imaged', 'n3');
  expect(disk('n3').bytes).toBe(data.length);
  // A migration's target lacks the image too: it fetches it before booting.
  await c.migrateVm({ vmName: 'imaged', targetNodeId: 'n2' }, t);
  await runningOn('imaged', 'n2');
  expect(disk('n2').bytes).toBe(data.length);
  await c.stopVm({ name: 'imaged' }, t);
  await stoppedEverywhere('imaged');
  await c.deleteVm({ name: 'imaged' }, t);
});

describe.each(['grpc', 'iroh'] as const)('error codes over %s', (transport) => {
  it('answers the same code for the same failure', async () => {
    const c = await client('n2', transport);
    const name = `err-${transport}`;
    const t = { timeoutMs: 10_000 };
    expect((await c.createVm({ name, vcpus: 1, memoryMb: 64n }, t)).success).toBe(true);
    expect(await codeOf(c.createVm({ name, vcpus: 1, memoryMb: 64n }, t))).toBe('ALREADY_EXISTS');
    for (const call of [
      () => c.getVmStatus({ name: 'no-such-vm' }, t),
      () => c.startVm({ name: 'no-such-vm' }, t),
      () => c.stopVm({ name: 'no-such-vm' }, t),
      () => c.deleteVm({ name: 'no-such-vm' }, t),
      () => c.migrateVm({ vmName: 'no-such-vm', targetNodeId: 'n1' }, t),
      () => c.migrateVm({ vmName: name, targetNodeId: 'n9' }, t),
      () => c.createVm({ name: `${name}-img`, vcpus: 1, memoryMb: 64n, image: 'no-such-image' }, t),
    ])
      expect(await codeOf(call())).toBe('NOT_FOUND');
    for (const call of [
      () => c.createVm({ name: `${name}-0cpu`, vcpus: 0, memoryMb: 64n }, t),
      () => c.createVm({ name: `${name}-0mem`, vcpus: 1, memoryMb: 0n }, t),
      () => c.createVm({ name: 'bad name!', vcpus: 1, memoryMb: 64n }, t),
      () => c.createVmWithScheduling({ config: { name: '', vcpus: 1, memoryMb: 64n } }, t),
    ])
      expect(await codeOf(call())).toBe('INVALID_ARGUMENT');
    await runningOn(name, (await vmStatus(name))?.nodeId ?? '');
    expect(await codeOf(c.deleteVm({ name }, t))).toBe('FAILED_PRECONDITION');
    await c.stopVm({ name }, t);
    await stoppedEverywhere(name);
    await c.deleteVm({ name }, t);
  });

  it('refuses an over-sized VM with RESOURCE_EXHAUSTED and says why', async () => {
    const c = await client('n3', transport);
    const t = { timeoutMs: 10_000 };
    for (const call of [
      () => c.createVm({ name: `huge-${transport}`, vcpus: 64, memoryMb: 64n }, t),
      () =>
        c.createVmWithScheduling(
          { config: { name: `huge2-${transport}`, vcpus: 1, memoryMb: 1_000_000n } },
          t,
        ),
      () => c.createVm({ name: `huge3-${transport}`, vcpus: 9, memoryMb: 64n, nodeId: 'n1' }, t),
    ])
      expect(await codeOf(call())).toBe('RESOURCE_EXHAUSTED');
    await expect(
      c.scheduleVmPlacement({ config: { name: 'x', vcpus: 64, memoryMb: 64n } }, t),
    ).rejects.toThrow(
      /no node fits 64 vcpus, 64 MB \(n1: \d+ vcpus free; n2: \d+ vcpus free; n3: \d+ vcpus free\)/,
    );
    expect(guests(`huge-${transport}`)).toEqual([]);
  });
});

describe('placement follows the strategy', () => {
  const created: string[] = [];
  const t = { timeoutMs: 10_000 };

  /** The scheduler's own answer for the cluster as GetClusterResourceSummary and ListVms show it. */
  async function expected(strategy: Strategy, vcpus: number, group = '') {
    await replicasAgree();
    const c = await client('n1');
    const summary = await c.getClusterResourceSummary({}, t);
    const vms = (await c.listVms({}, t)).vms;
    const rooms = summary.nodes.map((n) => ({
      id: n.nodeId,
      capacity: { vcpus: n.capacity?.vcpus ?? 0, memoryMb: Number(n.capacity?.memoryMb ?? 0n) },
      used: { vcpus: n.used?.vcpus ?? 0, memoryMb: Number(n.used?.memoryMb ?? 0n) },
      groups: vms
        .filter((v) => v.nodeId === n.nodeId)
        .map((v) => v.antiAffinityGroup)
        .filter(Boolean),
      live: true,
    }));
    return placeVm(rooms, { vcpus, memoryMb: 64, antiAffinityGroup: group }, strategy);
  }

  async function create(name: string, strategy: PlacementStrategy, vcpus = 1, group = '', via = 'n2') {
    const c = await client(via, via === 'n3' ? 'iroh' : 'grpc');
    const reply = await c.createVmWithScheduling(
      { config: { name, vcpus, memoryMb: 64n, antiAffinityGroup: group }, strategy },
      t,
    );
    created.push(name);
    return reply;
  }

  afterAll(async () => {
    const c = await client('n1');
    for (const name of created) await c.stopVm({ name }, t).catch(() => undefined);
    for (const name of created) await stoppedEverywhere(name).catch(() => undefined);
    for (const name of created) await c.deleteVm({ name }, t).catch(() => undefined);
  });

  it('most-available and bin-pack choose the node the scheduler computes from the reported room', async () => {
    const c = await client('n1');
    await c.createVm({ name: 'load-a', vcpus: 4, memoryMb: 64n, nodeId: 'n1' }, t);
    await c.createVm({ name: 'load-b', vcpus: 2, memoryMb: 64n, nodeId: 'n2' }, t);
    created.push('load-a', 'load-b');

    const most = await expected('most-available', 1);
    expect(most).toMatchObject({ ok: true, node: 'n3' });
    const dry = await c.scheduleVmPlacement({ config: { name: 'p', vcpus: 1, memoryMb: 64n } }, t);
    expect(dry.targetNode).toBe('n3');
    const a = await create('pl-most', PlacementStrategy.MOST_AVAILABLE);
    expect(a.assignedNode).toBe('n3');
    expect(a.placementReason).toMatch(/most available/);

    const pack = await expected('bin-pack', 1);
    expect(pack).toMatchObject({ ok: true, node: 'n1' });
    const b = await create('pl-pack', PlacementStrategy.BIN_PACK, 1, '', 'n3');
    expect(b.assignedNode).toBe('n1');
    await runningOn('pl-pack', 'n1');
  });

  it('round-robin takes each node in turn', async () => {
    const nodes: string[] = [];
    for (let i = 0; i < 3; i++)
      nodes.push((await create(`pl-rr-${i}`, PlacementStrategy.ROUND_ROBIN)).assignedNode);
    expect(new Set(nodes).size).toBe(3);
  });

  it('anti-affinity puts one VM of a group per node and refuses a fourth', async () => {
    const nodes: string[] = [];
    for (let i = 0; i < 3; i++)
      nodes.push((await create(`pl-web-${i}`, PlacementStrategy.ANTI_AFFINITY, 1, 'web')).assignedNode);
    expect([...nodes].sort()).toEqual(NODES);
    const c = await client('n1', 'iroh');
    expect(
      await codeOf(
        c.createVmWithScheduling(
          {
            config: { name: 'pl-web-3', vcpus: 1, memoryMb: 64n, antiAffinityGroup: 'web' },
            strategy: PlacementStrategy.ANTI_AFFINITY,
          },
          t,
        ),
      ),
    ).toBe('RESOURCE_EXHAUSTED');
    for (let i = 0; i < 3; i++) await runningOn(`pl-web-${i}`, nodes[i] as string);
  });
});

describe.each(['grpc', 'iroh'] as const)('tasks over %s', (transport) => {
  const t = { timeoutMs: 10_000 };

  async function finished(id: string, via: string) {
    const c = await client(via, transport);
    let status: Awaited<ReturnType<typeof c.getTaskStatus>> | undefined;
    await expect
      .poll(async () => {
        status = await c.getTaskStatus({ taskId: id }, t);
        return status.state === TaskState.SUCCEEDED || status.state === TaskState.FAILED;
      }, poll)
      .toBe(true);
    return status as NonNullable<typeof status>;
  }

  it('runs an allowlisted command on a node and stores its result through Raft', async () => {
    const c = await client('n3', transport);
    const id = `echo-${transport}`;
    const reply = await c.submitTask(
      { taskId: id, spec: { command: 'echo', args: ['hello', transport] } },
      t,
    );
    expect(reply.accepted).toBe(true);
    expect(NODES).toContain(reply.assignedNode);
    const s = await finished(id, 'n1');
    expect(s).toMatchObject({
      found: true,
      state: TaskState.SUCCEEDED,
      output: `hello ${transport}\n`,
      exitCode: 0,
    });
    expect(s.assignedNode).toBe(reply.assignedNode);
    expect(s.finishedAtMs).toBeGreaterThanOrEqual(s.startedAtMs);
    expect(s.startedAtMs).toBeGreaterThan(0n);
  });

  it('reports failures: exit status, timeout, not allowlisted, no room, unknown task', async () => {
    const c = await client('n1', transport);
    await c.submitTask({ taskId: `false-${transport}`, spec: { command: 'false' } }, t);
    expect(await finished(`false-${transport}`, 'n2')).toMatchObject({
      state: TaskState.FAILED,
      exitCode: 1,
    });
    await c.submitTask(
      { taskId: `sleep-${transport}`, spec: { command: 'sleep', args: ['30'], timeoutSecs: 1 } },
      t,
    );
    const slow = await finished(`sleep-${transport}`, 'n2');
    expect(slow.state).toBe(TaskState.FAILED);
    expect(slow.error).toMatch(/timed out/);
    expect(await codeOf(c.submitTask({ taskId: 'rm', spec: { command: 'rm', args: ['-rf', '/'] } }, t))).toBe(
      'PERMISSION_DENIED',
    );
    expect(
      await codeOf(
        c.submitTask({ spec: { command: 'true', requirements: { vcpus: 1000, memoryMb: 1n } } }, t),
      ),
    ).toBe('RESOURCE_EXHAUSTED');
    expect((await c.getTaskStatus({ taskId: 'no-such-task' }, t)).found).toBe(false);
  });

  it('runs a task recorded by ProposeTask', async () => {
    const { blixard } = await cluster.clients('n2', transport);
    const id = `proposed-${transport}`;
    const reply = await blixard.proposeTask({ taskId: id, spec: { command: 'uname', args: ['-s'] } }, t);
    expect(reply.success).toBe(true);
    expect(await finished(id, 'n3')).toMatchObject({ state: TaskState.SUCCEEDED, output: 'Linux\n' });
  });
});
