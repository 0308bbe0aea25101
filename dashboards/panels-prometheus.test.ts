/**
 * Every dashboard panel's query returns data from the lab's real Prometheus after traffic: a docker
 * cluster with Prometheus, calls over both transports, Raft writes and a fault on a link.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../lab/runtime/index.ts';
import { panelQueries } from './index.ts';

let cluster: Cluster | undefined;
let dir: string;

interface QueryResult {
  status: string;
  data?: { result: unknown[] };
  error?: string;
}

async function query(prometheus: string, expr: string): Promise<QueryResult> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as QueryResult;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-panels-'));
  cluster = await Cluster.start({
    nodes: 3,
    runtime: 'docker',
    mode: 'dual',
    // Health and status calls between nodes go over Iroh, the rest over gRPC: both show up.
    strategy: { preferIroh: ['health', 'status'], raftTransport: 'grpc', fallbackToGrpc: true },
    workDir: dir,
  });
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('dashboard panels against the lab’s Prometheus', () => {
  it('all return data after traffic', async () => {
    const c = cluster as Cluster;
    expect(c.prometheus).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const prometheus = c.prometheus as string;
    // A latency fault on one link: the chaos panels have something to show.
    const link = await c.link('n1', 'n2');
    await link.addToxic({ name: 'slow', type: 'latency', attributes: { latency: 5, jitter: 1 } });

    // Raft writes through the leader, calls over both transports to every node.
    const statuses = await c.status();
    const leader = statuses.find((s) => s.role === 'leader')?.id ?? 'n1';
    const writer = c.node(leader).client('grpc');
    const deadline = Date.now() + 120_000;
    let empty: string[] = [];
    for (let round = 0; ; round++) {
      for (let i = 0; i < 5; i++) {
        await writer.blixard
          .proposeTask({ key: `k${i}`, op: 1, value: `v${round}` }, { timeoutMs: 5000 })
          .catch(() => undefined);
      }
      for (const node of c.nodes)
        for (const cl of node.clients) await cl.cluster.healthCheck({}, { timeoutMs: 5000 });
      empty = [];
      for (const p of await panelQueries()) {
        for (const expr of p.exprs) {
          const r = await query(prometheus, expr);
          expect(r.status, `${p.panel}: ${expr}: ${r.error}`).toBe('success');
          if ((r.data?.result.length ?? 0) === 0) empty.push(`${p.dashboard} / ${p.panel}: ${expr}`);
        }
      }
      if (empty.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    expect(empty).toEqual([]);
    const up = await query(prometheus, 'up');
    expect(up.data?.result.length).toBeGreaterThanOrEqual(5);
  }, 300_000);
});
