/**
 * The process runtime for real: nodes, toxiproxy-server and the UDP toxic proxy as local processes,
 * every call of the lab's client going through its hub link.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TransportMode } from '../../node/transport/index.ts';
import { Cluster, type ProcRecord } from './index.ts';
import { isOurs } from './process/detached.ts';
import { writeAndAwaitCommit } from './write-probe.ts';

// Real processes and containers on a shared machine: generous limits, never a timing assertion.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const dirs: string[] = [];
const clusters: Cluster[] = [];

async function start(mode: TransportMode): Promise<Cluster> {
  const workDir = await mkdtemp(join(tmpdir(), `lab-process-${mode}-`));
  dirs.push(workDir);
  const cluster = await Cluster.start({ nodes: 3, runtime: 'process', mode, workDir, seed: 7 });
  clusters.push(cluster);
  return cluster;
}

function processesOf(cluster: Cluster): ProcRecord[] {
  const s = cluster.state;
  return [s.hub.toxiproxy, s.hub.udpProxy, ...s.nodes.map((n) => n.proc)].filter(
    (p): p is ProcRecord => p !== undefined,
  );
}

afterAll(async () => {
  await Promise.allSettled(clusters.map((c) => c.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** One leader agreed by all, a register write through it commits, and every node reaches its index. */
async function expectLeaderAndWrite(cluster: Cluster): Promise<void> {
  const { index } = await writeAndAwaitCommit(cluster);
  expect(index).toBeGreaterThan(0n);
}

const MODES: TransportMode[] = ['grpc', 'dual', 'iroh'];

describe.each(MODES)('process runtime, %s mode', (mode) => {
  it('starts 3 nodes healthy on every transport they serve through the hub, with one leader and a write that commits', async () => {
    const cluster = await start(mode);
    expect(cluster.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    for (const node of cluster.nodes) {
      expect(node.clients.map((c) => c.transport)).toEqual(mode === 'dual' ? ['grpc', 'iroh'] : [mode]);
      for (const c of node.clients) {
        const reply = await c.cluster.healthCheck({}, { timeoutMs: 5000 });
        expect(reply.healthy).toBe(true);
        expect(reply.nodeId).toBe(node.id);
      }
    }
    await expectLeaderAndWrite(cluster);
    // The client's only way in over TCP is its link: cut it and gRPC stops. (Iroh dials the link too,
    // but on loopback QUIC may then move to the node's own address: see lab/README.md.)
    const link = await cluster.link('client', 'n2');
    expect(cluster.node('n2').addresses.grpc).toBe(link.listen('tcp'));
    expect(cluster.node('n2').addresses.iroh).toBe(link.listen('udp'));
    await link.cut();
    const cut = await cluster.node('n2').status(1500);
    if (mode !== 'iroh') expect(cut.transports.grpc?.ok).toBe(false);
    await link.heal();
    await cluster.node('n2').waitHealthy();
    await cluster.stop();
    for (const p of processesOf(cluster)) expect(await isOurs(p)).toBe(false);
  });
});

describe('process runtime lifecycle', () => {
  it('kills, restarts, pauses a node, keeps its identity and data, and leaves no process after stop()', async () => {
    const cluster = await start('dual');
    const n2 = cluster.node('n2');
    const irohId = n2.state.irohId;

    await n2.kill();
    expect(await n2.isRunning()).toBe(false);
    expect((await n2.status(1500)).health).toBe('down');
    // The rest of the cluster is untouched.
    expect((await cluster.node('n1').status()).health).toBe('healthy');

    await n2.start();
    await n2.waitHealthy();
    await n2.restart();
    await n2.waitHealthy();
    expect(n2.state.irohId).toBe(irohId);
    const hello = await n2.client('iroh').cluster.healthCheck({}, { timeoutMs: 5000 });
    expect(hello.nodeId).toBe('n2');

    await n2.pause();
    expect((await n2.status(1000)).health).toBe('down');
    await n2.resume();
    await n2.waitHealthy();

    const ls = await n2.exec(['ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toContain('iroh_secret.key');
    expect(await n2.logs(50)).toContain('"msg":"serving"');

    const procs = processesOf(cluster);
    expect(procs).toHaveLength(5);
    await cluster.stop();
    for (const p of procs) expect(await isOurs(p)).toBe(false);
  });
});
