/**
 * Node kills in the middle of VM operations, with three real nodes: a
 * migration cut by SIGKILL of its source or its target, a create cut by
 * SIGKILL of the VM's node or of the leader, and orphan guests left under a
 * node's data dir. Throughout, a sampler watches /proc: no VM may ever run
 * as two guest processes. Afterwards each VM runs on exactly one node and the
 * replicas agree (same digest at the same applied index).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReadConsistency, VmState } from '../gen/blixard_pb.js';
import type { LocalCluster } from '../testing/index.ts';
import { DEFAULT_GUEST } from './process-backend.ts';
import { guestProcesses } from './testing/guest-processes.ts';
import { VM_NODES as NODES, startVmCluster, stopVmCluster, vmClusterAccess } from './testing/vm-cluster.ts';

/** Liveness bound for polls: generous, since these tests share the host's two cores with other suites. */
const poll = { timeout: 60_000, interval: 100 };
const t = { timeoutMs: 10_000 };

// A test waits on several polls in a row, each bounded by the liveness bound.
vi.setConfig({ testTimeout: 240_000 });

let cluster: LocalCluster;
let sampler: NodeJS.Timeout | undefined;
/** VM names seen running as more than one guest process at once. */
const doubled = new Set<string>();

beforeAll(async () => {
  cluster = await startVmCluster({ mode: 'dual' });
  sampler = setInterval(() => {
    const seen = new Map<string, number>();
    for (const g of guestProcesses(cluster.dir)) seen.set(g.vm, (seen.get(g.vm) ?? 0) + 1);
    for (const [vm, n] of seen) if (n > 1) doubled.add(vm);
  }, 20);
});

afterAll(async () => {
  clearInterval(sampler);
  expect(await stopVmCluster(cluster)).toBe(0);
});

const { running, client, allNodesReport } = vmClusterAccess(() => cluster);

async function leader(): Promise<string> {
  let id = '';
  await expect
    .poll(async () => {
      const seen = await Promise.all(
        running().map(async (n) =>
          (await client(n))
            .getClusterStatus({ consistency: ReadConsistency.LOCAL }, { timeoutMs: 2000 })
            .then(
              (s) => s.leaderId,
              () => '',
            ),
        ),
      );
      id = seen[0] ?? '';
      return running().includes(id) && seen.every((l) => l === id);
    }, poll)
    .toBe(true);
  return id;
}

const ready = () => allNodesReport(poll);

/** The VM runs on `node` per every live replica and per /proc, and on no other node. */
async function runsOnlyOn(vm: string, node: string): Promise<void> {
  let seen = '';
  await expect
    .poll(async () => {
      const views = await Promise.all(
        running().map(async (id) =>
          (await client(id)).getVmStatus({ name: vm }, { timeoutMs: 2000 }).then(
            (r) => r.vm,
            () => undefined,
          ),
        ),
      );
      const procs = guestProcesses(cluster.dir).filter((g) => g.vm === vm);
      seen = JSON.stringify({
        views: views.map((v) => v && { state: v.state, node: v.nodeId, pid: v.pid }),
        procs,
      });
      return (
        views.every((v) => v?.state === VmState.RUNNING && v.nodeId === node) &&
        procs.length === 1 &&
        procs[0]?.node === node &&
        procs[0]?.pid === views[0]?.pid
      );
    }, poll)
    .toBe(true)
    .catch((err: unknown) => {
      // What the replicas and /proc last showed, and what the nodes last said about it.
      const logs = NODES.map(
        (id) =>
          `${id}:\n${cluster
            .logTail(id, 200)
            .split('\n')
            .filter((l) => l.includes(vm))
            .slice(-8)
            .join('\n')}`,
      );
      console.error(`${vm} not running only on ${node}; last seen ${seen}\n${logs.join('\n')}`);
      throw err;
    });
}

/** All running nodes at one applied index with one state digest. */
async function replicasAgree(): Promise<void> {
  await expect.poll(() => cluster.replicasAgree(running()), poll).toBe(true);
}

/** Two followers of the current leader, to kill without stopping the cluster's writes. */
async function followers(): Promise<[string, string, string]> {
  const l = await leader();
  const [a, b] = NODES.filter((id) => id !== l);
  return [a as string, b as string, l];
}

describe('node kills during VM operations', () => {
  it('a migration cut by SIGKILL of its source ends with the VM on the target only', async () => {
    await ready();
    const [source, target, via] = await followers();
    const c = await client(via);
    await c.createVm({ name: 'cut-src', vcpus: 1, memoryMb: 64n, nodeId: source }, t);
    await runsOnlyOn('cut-src', source);
    const reply = await c.migrateVm({ vmName: 'cut-src', targetNodeId: target }, t);
    expect(reply.status).toBe('MIGRATING');
    await cluster.kill(source, 'SIGKILL');
    // The guest dies with its node; the migration waits for the source, which alone may hand the VM over.
    cluster.restart(source);
    await runsOnlyOn('cut-src', target);
    await replicasAgree();
    expect(doubled).toEqual(new Set());
  });

  it('a migration cut by SIGKILL of its target ends with the VM on the target once it is back', async () => {
    const [source, target, via] = await followers();
    const c = await client(via, 'iroh');
    await c.createVm({ name: 'cut-dst', vcpus: 1, memoryMb: 64n, nodeId: source }, t);
    await runsOnlyOn('cut-dst', source);
    await c.migrateVm({ vmName: 'cut-dst', targetNodeId: target }, t);
    await cluster.kill(target, 'SIGKILL');
    // Handed over to a dead target, the VM runs nowhere — not lost, not doubled — until the target returns.
    await expect
      .poll(async () => (await c.getVmStatus({ name: 'cut-dst' }, t)).vm?.nodeId, poll)
      .toBe(target);
    expect(guestProcesses(cluster.dir).filter((g) => g.vm === 'cut-dst')).toEqual([]);
    cluster.restart(target);
    await runsOnlyOn('cut-dst', target);
    await replicasAgree();
    expect(doubled).toEqual(new Set());
  });

  it('a create cut by SIGKILL of the VM node: the VM starts there once the node is back', async () => {
    const [owner, , via] = await followers();
    const c = await client(via);
    const pending = c.createVm({ name: 'cut-create', vcpus: 1, memoryMb: 64n, nodeId: owner }, t);
    await cluster.kill(owner, 'SIGKILL');
    expect((await pending).nodeId).toBe(owner);
    expect(guestProcesses(cluster.dir).filter((g) => g.vm === 'cut-create')).toEqual([]);
    cluster.restart(owner);
    await runsOnlyOn('cut-create', owner);
    await replicasAgree();
  });

  it('a create cut by SIGKILL of the leader leaves the VM on one node or on none, agreed by all', async () => {
    const [a, , l] = await followers();
    const c = await client(a);
    const pending = c.createVm({ name: 'cut-leader', vcpus: 1, memoryMb: 64n }, t).then(
      (r) => r.nodeId,
      () => '',
    );
    await cluster.kill(l, 'SIGKILL');
    const acknowledged = await pending;
    cluster.restart(l);
    await leader();
    await replicasAgree();
    const vm = await c.getVmStatus({ name: 'cut-leader' }, t).then(
      (r) => r.vm,
      () => undefined,
    );
    if (acknowledged) expect(vm?.nodeId).toBe(acknowledged);
    if (vm) await runsOnlyOn('cut-leader', vm.nodeId);
    else expect(guestProcesses(cluster.dir).filter((g) => g.vm === 'cut-leader')).toEqual([]);
    expect(doubled).toEqual(new Set());
  });

  it('after a restart, orphan guests under the data dir are reaped and VMs that should run start again', async () => {
    const [owner, , via] = await followers();
    const c = await client(via);
    await c.createVm({ name: 'keep', vcpus: 1, memoryMb: 64n, nodeId: owner }, t);
    await runsOnlyOn('keep', owner);
    await cluster.kill(owner, 'SIGTERM');
    expect(guestProcesses(cluster.dir).filter((g) => g.node === owner)).toEqual([]);

    // Guests left behind by an earlier run: one of a VM the cluster does not know, one of `keep`.
    const orphans = ['ghost', 'keep'].map((name) => spawnOrphan(cluster.spec(owner).dataDir, owner, name));
    for (const o of orphans) expect(isAlive(o)).toBe(true);
    cluster.restart(owner);
    await expect.poll(() => orphans.some(isAlive), poll).toBe(false);
    await runsOnlyOn('keep', owner);
    expect(guestProcesses(cluster.dir).filter((g) => g.vm === 'ghost')).toEqual([]);
    await replicasAgree();
  });
});

/** Starts a guest the way the node would, with its pid file, but owned by the test (stdin held open). */
function spawnOrphan(dataDir: string, node: string, name: string): number {
  const dir = join(dataDir, 'vms', name);
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    process.execPath,
    [DEFAULT_GUEST, `--name=${name}`, `--node=${node}`, `--dir=${dir}`, '--memory-mb=1'],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  const pid = child.pid ?? 0;
  writeFileSync(
    join(dir, 'guest.pid'),
    JSON.stringify({ pid, name, startedAtMs: Date.now(), program: DEFAULT_GUEST }),
  );
  child.unref();
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a migration whose source never comes back', () => {
  it('is taken over with force once the source does not answer', async () => {
    const [source, target, via] = await followers();
    const c = await client(via);
    await c.createVm({ name: 'orphaned-move', vcpus: 1, memoryMb: 64n, nodeId: source }, t);
    await runsOnlyOn('orphaned-move', source);
    // Cut the source off before the hand-off: the VM stays MIGRATING, running nowhere.
    await cluster.kill(source, 'SIGKILL');
    await c.migrateVm({ vmName: 'orphaned-move', targetNodeId: target }, t);
    expect((await c.getVmStatus({ name: 'orphaned-move' }, t)).vm?.state).toBe(VmState.MIGRATING);
    const plain = await c
      .migrateVm({ vmName: 'orphaned-move', targetNodeId: target }, t)
      .catch((e: Error) => e);
    expect(String(plain)).toMatch(/already migrating/);
    const forced = await c.migrateVm({ vmName: 'orphaned-move', targetNodeId: target, force: true }, t);
    expect(forced.status).toBe('TAKEN_OVER');
    await runsOnlyOn('orphaned-move', target);
    // The old owner comes back, sees the VM is no longer its own, and runs nothing.
    cluster.restart(source);
    await replicasAgree();
    await runsOnlyOn('orphaned-move', target);
    expect(doubled).toEqual(new Set());
  });

  it('refuses to force a hand-off while the source answers', async () => {
    const [source, target, via] = await followers();
    const c = await client(via);
    await c.createVm({ name: 'busy-move', vcpus: 1, memoryMb: 64n, nodeId: source }, t);
    await runsOnlyOn('busy-move', source);
    await c.migrateVm({ vmName: 'busy-move', targetNodeId: target }, t);
    // The source finishes the migration itself; a forced takeover meanwhile is refused or finds it done.
    const forced = await c
      .migrateVm({ vmName: 'busy-move', targetNodeId: target, force: true }, t)
      .catch((e: Error) => e);
    expect(String(forced)).toMatch(/FAILED_PRECONDITION|already on/);
    await runsOnlyOn('busy-move', target);
  });
});
