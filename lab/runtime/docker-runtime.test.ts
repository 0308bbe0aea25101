/**
 * The docker runtime for real: node containers each alone on its network, the hub on all of them,
 * everything labelled with the run id and gone after stop(), Ctrl-C, or the next start after a crash.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TransportMode } from '../../node/transport/index.ts';
import { findLink } from '../topology/index.ts';
import { docker, LABEL_RUN } from './docker/engine.ts';
import { removeOrphans, removeRun } from './docker/index.ts';
import { Cluster } from './index.ts';
import { ELECTION_TIMEOUT_MAX_MS, REPLICATION_BOUND_MS, waitUntil } from './wait.ts';
import { writeAndAwaitCommit } from './write-probe.ts';

// Real processes and containers on a shared machine: generous limits, never a timing assertion.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const dirs: string[] = [];
const runs: string[] = [];
const children: ChildProcess[] = [];

async function workDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-docker-'));
  dirs.push(dir);
  return dir;
}

async function start(mode: TransportMode, nodes = 3): Promise<Cluster> {
  // Prometheus is dashboards/'s subject; these tests are about the runtime.
  const cluster = await Cluster.start({
    nodes,
    runtime: 'docker',
    mode,
    workDir: await workDir(),
    seed: 3,
    prometheus: false,
  });
  runs.push(cluster.runId);
  return cluster;
}

async function resourcesOf(runId: string): Promise<string[]> {
  const filters = { label: [`${LABEL_RUN}=${runId}`] };
  const d = docker();
  return [
    ...(await d.listContainers({ all: true, filters })).map((c) => `container ${c.Names[0]}`),
    ...((await d.listNetworks({ filters })) ?? []).map((n) => `network ${n.Name}`),
    ...((await d.listVolumes({ filters })).Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}

beforeAll(async () => {
  // A warm image cache keeps the tests about the runtime, not the image builds.
  const { ensureImages } = await import('../../images/index.ts');
  await ensureImages(['node', 'hub']);
}, 30 * 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const run of runs) await removeRun(run);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** One leader agreed by all, a register write through it commits, and every node reaches its index. */
async function expectLeaderAndWrite(cluster: Cluster): Promise<void> {
  const { index } = await writeAndAwaitCommit(cluster);
  expect(index).toBeGreaterThan(0n);
}

describe.each<TransportMode>(['grpc', 'dual', 'iroh'])('docker runtime, %s mode', (mode) => {
  it('starts 3 node containers healthy on every transport they serve, with one leader and a write that commits, and removes all of it on stop()', async () => {
    const cluster = await start(mode);
    for (const node of cluster.nodes) {
      for (const c of node.clients) {
        const reply = await c.cluster.healthCheck({}, { timeoutMs: 5000 });
        expect(reply.nodeId).toBe(node.id);
      }
    }
    await expectLeaderAndWrite(cluster);
    const made = await resourcesOf(cluster.runId);
    for (const part of ['n1', 'n2', 'n3', 'hub']) {
      expect(made).toContain(`container /blixard-${cluster.runId}-${part}`);
    }
    expect(made.filter((r) => r.startsWith('network '))).toHaveLength(4);
    expect(made.filter((r) => r.startsWith('volume '))).toHaveLength(3);
    await cluster.stop();
    expect(await resourcesOf(cluster.runId)).toEqual([]);
  });
});

describe('docker runtime topology and lifecycle', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await start('dual');
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Exit 0: connected; anything else: could not. Runs in node `from`'s container. */
  async function tcpFrom(from: string, host: string, port: number): Promise<number> {
    const script = `const s=require('net').connect(${port},${JSON.stringify(host)});s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),3000)`;
    return (await cluster.node(from).exec(['node', '-e', script])).code;
  }

  it('lets a node reach another only through its hub link', async () => {
    const n2 = cluster.node('n2');
    const info = await docker()
      .getContainer(n2.state.container as string)
      .inspect();
    const n2Ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress as string;
    expect(n2Ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // Directly: by address and by name, nothing.
    expect(await tcpFrom('n1', n2Ip, 7001)).not.toBe(0);
    expect(await tcpFrom('n1', n2.state.container as string, 7001)).not.toBe(0);
    // Through the hub's (n1 → n2) link: connected.
    const topology = { nodes: [], links: cluster.state.links, runtime: 'docker' as const };
    const link = findLink(topology, 'n1', 'n2');
    const [hubHost, hubPort] = link.dial.split(':') as [string, string];
    expect(await tcpFrom('n1', hubHost, Number(hubPort))).toBe(0);
    // Cut that link and the same address stops answering.
    const l = await cluster.link('n1', 'n2');
    await l.cut();
    expect(await tcpFrom('n1', hubHost, Number(hubPort))).not.toBe(0);
    await l.heal();
    expect(await tcpFrom('n1', hubHost, Number(hubPort))).toBe(0);
  });

  it('reaches a node from the lab only through its client link, on both transports', async () => {
    const n2 = cluster.node('n2');
    const link = await cluster.link('client', 'n2');
    await link.cut();
    const cut = await n2.status(1500);
    expect(cut.transports.grpc?.ok).toBe(false);
    expect(cut.transports.iroh?.ok).toBe(false);
    await link.heal();
    await n2.waitHealthy();
  });

  it('starts a node killed while the others wrote again from its volume, and it catches up', async () => {
    const n3 = cluster.node('n3');
    await n3.kill();
    // n1 and n2 elect (a few election timeouts) and commit a write (its own 10 s deadline).
    const written = await waitUntil({
      what: 'a write committed by n1 and n2 while n3 is down',
      boundMs: 5 * ELECTION_TIMEOUT_MAX_MS + 2 * 10_000,
      intervalMs: 300,
      probe: async () => {
        const statuses = await Promise.all(['n1', 'n2'].map((id) => cluster.node(id).status()));
        const leader = statuses.find((s) => s.role === 'leader');
        if (!leader) return { roles: statuses.map((s) => `${s.id}: ${s.role}`).join('; ') };
        const reply = await cluster
          .node(leader.id)
          .client('grpc')
          .blixard.proposeTask({ key: 'catch-up', op: 1, value: 'while n3 was down' }, { timeoutMs: 10_000 });
        return {
          roles: `leader ${leader.id}`,
          reply: { success: reply.success, index: reply.index, message: reply.message },
        };
      },
      holds: (r) => r.reply?.success === true,
      show: (r) => `${r.roles}${r.reply ? `; write: ${r.reply.message || 'refused'}` : ''}`,
    });
    const index = written.reply?.index ?? 0n;
    await n3.start();
    await n3.waitHealthy();
    await waitUntil({
      what: `n3 to catch up to index ${index}`,
      boundMs: REPLICATION_BOUND_MS,
      probe: () => n3.status(),
      holds: (s) => s.commit !== 'unknown' && BigInt(s.commit) >= index,
      show: (s) => `${s.role}, term ${s.term}, commit ${s.commit}, ${s.health}`,
    });
  });

  it('kills, restarts and pauses a node container, keeping its volume and identity', async () => {
    const n3 = cluster.node('n3');
    expect((await n3.exec(['sh', '-c', 'echo kept > /var/lib/blixard/marker'])).code).toBe(0);
    await n3.kill();
    expect(await n3.isRunning()).toBe(false);
    expect((await n3.status(1500)).health).toBe('down');
    await n3.start();
    await n3.waitHealthy();
    await n3.restart();
    await n3.waitHealthy();
    expect((await n3.exec(['cat', '/var/lib/blixard/marker'])).stdout.trim()).toBe('kept');
    expect((await n3.client('iroh').cluster.healthCheck({}, { timeoutMs: 5000 })).nodeId).toBe('n3');
    await n3.pause();
    expect((await n3.status(1000)).health).toBe('down');
    await n3.resume();
    await n3.waitHealthy();
    expect(await n3.logs(100)).toContain('"msg":"serving"');
    expect(n3.volume).toMatch(/n3-data$/);
  });
});

describe('docker runtime cleanup', () => {
  /** A child process starting a cluster; resolves once its progress shows `line`. */
  function startChild(runId: string, line: string, dir: string): Promise<ChildProcess> {
    const script = `
      import { Cluster } from ${JSON.stringify(join(import.meta.dirname, 'index.ts'))};
      await Cluster.start({ nodes: 2, runtime: 'docker', mode: 'dual', prometheus: false, runId: ${JSON.stringify(runId)},
        workDir: ${JSON.stringify(dir)}, onProgress: (m) => console.log(m) });
      console.log('STARTED');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    runs.push(runId);
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(line)) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code} before '${line}': ${out}`)));
    });
  }

  it('removes everything when start is interrupted with SIGINT', async () => {
    const runId = `lab-test-sigint-${process.pid}`;
    const child = await startChild(runId, 'nodes: starting', await workDir());
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await resourcesOf(runId)).toEqual([]);
  });

  it('removes what a crashed run left, at the next start', async () => {
    const runId = `lab-test-crash-${process.pid}`;
    const child = await startChild(runId, 'STARTED', await workDir());
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect((await resourcesOf(runId)).length).toBeGreaterThan(0);
    await removeOrphans();
    expect(await resourcesOf(runId)).toEqual([]);
  });
});
