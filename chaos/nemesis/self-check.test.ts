/**
 * The fault self-check on a real process cluster: it passes when every fault takes, and it fails —
 * naming the link — when a link bypasses the hub (its source dials the node directly).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../lab/runtime/index.ts';
import { probeTargets } from '../probes/index.ts';
import { readEvents, readHistory } from '../record/index.ts';
import { parseIncident } from '../schedule/index.ts';
import { runIncident } from '../suite/index.ts';
import { SelfCheckError, selfCheck } from './self-check.ts';

let cluster: Cluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'self-check-'));
  // gRPC mode: every link side is TCP, which cannot leave the link, so the check must pass.
  cluster = await Cluster.start({ nodes: 3, runtime: 'process', mode: 'grpc', workDir: dir, seed: 9 });
});
afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The node's own gRPC address (not through the hub), from its config. */
async function directGrpc(node: string): Promise<string> {
  const config = parse(await readFile(cluster.node(node).state.configPath, 'utf8')) as {
    transport: { grpc: { bind_address: string } };
  };
  return config.transport.grpc.bind_address;
}

describe('fault self-check', () => {
  it('passes when every cut stops traffic and every delay shows, on every link', async () => {
    const report = await selfCheck(cluster);
    expect(report.results.map((r) => r.link)).toEqual([
      'client-n1',
      'client-n2',
      'client-n3',
      'n1-n2',
      'n1-n3',
      'n2-n1',
      'n2-n3',
      'n3-n1',
      'n3-n2',
    ]);
    for (const r of report.results) {
      expect(r.side).toBe('tcp');
      expect(r.delayedMs).toBeGreaterThanOrEqual(
        Math.max(0.9 * report.delayMs, r.baselineMs + 0.5 * report.delayMs),
      );
    }
  });

  it('probes what each source dials: the client link, or the peer address in the node config', async () => {
    const targets = await probeTargets(cluster);
    for (const t of targets) expect(t.address).toBe(t.listen);
  });

  it('fails the run, naming the link, when the lab client bypasses the hub to reach a node', async () => {
    const n2 = cluster.node('n2');
    const viaHub = n2.state.clientGrpc;
    n2.state.clientGrpc = await directGrpc('n2');
    n2.reconnect();
    try {
      // The client really does reach n2 around the hub.
      expect((await n2.grpc?.cluster.healthCheck({}, { timeoutMs: 3000 }))?.nodeId).toBe('n2');
      const error = await selfCheck(cluster, { links: ['client-n2', 'client-n1'] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(SelfCheckError);
      const failures = (error as SelfCheckError).failures;
      expect(failures.map((f) => `${f.link}/${f.side}`)).toEqual(['client-n2/tcp']);
      expect(failures[0]?.reason).toMatch(/a cut did not stop traffic/);
      expect((error as Error).message).toMatch(/link client-n2 \(tcp\)/);
    } finally {
      n2.state.clientGrpc = viaHub;
      n2.reconnect();
    }
  });

  it('aborts a run whose fault does not take, before any fault or client operation', async () => {
    const n2 = cluster.node('n2');
    const viaHub = n2.state.clientGrpc;
    n2.state.clientGrpc = await directGrpc('n2');
    const runsDir = await mkdtemp(join(tmpdir(), 'aborted-run-'));
    try {
      const incident = parseIncident(
        'name: must abort\ncluster: { nodes: 3, mode: grpc, runtime: process }\nworkload: { duration: 2s, transports: [grpc] }\nschedule:\n  - { at: 0s, do: partition, kind: isolate, node: n1 }\n  - { at: 1s, do: heal }\n',
        'abort.yaml',
      );
      const error = await runIncident({
        incident,
        cluster,
        runsDir,
        selfCheck: { links: ['client-n2'] },
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(SelfCheckError);
      // The run's directory (an aborted run is reported too: the runs index sits beside it).
      const [id] = (await readdir(runsDir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
      const runDir = join(runsDir, id as string);
      const verdict = JSON.parse(await readFile(join(runDir, 'verdict.json'), 'utf8')) as {
        status: string;
        reason: string;
      };
      expect(verdict.status).toBe('aborted');
      expect(verdict.reason).toMatch(/link client-n2 \(tcp\)/);
      const events = await readEvents(runDir);
      expect(events.map((e) => e.kind)).toEqual(['run-start', 'self-check', 'run-end']);
      expect(events[1]?.detail?.ok).toBe(false);
      expect(await readHistory(runDir)).toEqual([]);
    } finally {
      n2.state.clientGrpc = viaHub;
      n2.reconnect();
      await rm(runsDir, { recursive: true, force: true });
    }
  });

  it('fails when a node is configured to reach a peer around the hub', async () => {
    const n1 = cluster.node('n1');
    const original = await readFile(n1.state.configPath, 'utf8');
    const direct = await directGrpc('n3');
    const link = cluster.state.links.find((l) => l.name === 'n1-n3');
    if (!link) throw new Error('no link n1-n3');
    try {
      // Only the config is rewritten (the node is not restarted): the probe dials what it says.
      await writeFile(n1.state.configPath, original.replaceAll(`"${link.dial}"`, `"${direct}"`));
      const error = await selfCheck(cluster, { links: ['n1-n3'] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(SelfCheckError);
      expect((error as SelfCheckError).failures.map((f) => f.link)).toEqual(['n1-n3']);
    } finally {
      await writeFile(n1.state.configPath, original);
    }
  });
});
