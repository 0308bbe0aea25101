/**
 * Every panel query of every dashboard in dashboards/grafana returns data from the lab's real
 * Prometheus after traffic, on the process runtime (Prometheus in a container on the host network,
 * scraping the nodes and the hub's UDP proxy on loopback):
 *
 *  - traffic over both transports: register writes, health checks, failing calls (NOT_FOUND);
 *  - faults on the hub: a latency toxic on one link, the UDP side of a follower's link to the leader
 *    down before it first dials the leader over Iroh, so its forwarded calls fall back to gRPC;
 *  - each panel's expression must return samples, and so must every metric selector inside it, so
 *    a fallback such as `or vector(0)` cannot hide a series that does not exist;
 *  - a few values must be what the faults and the cluster say (the link down, the toxic, one leader).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { panelQueries } from '../../dashboards/index.ts';
import { Cluster } from '../runtime/index.ts';
import { PrometheusApi } from './prometheus-api.ts';
import { selectorsIn } from './promql-selectors.ts';

let cluster: Cluster | undefined;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-obs-panels-'));
  cluster = await Cluster.start({
    nodes: 3,
    runtime: 'process',
    mode: 'dual',
    // VM operations (followers forward them to the leader) and status calls go over Iroh; Raft and
    // health probes over gRPC, so no Iroh connection between nodes exists before the test makes one.
    strategy: { preferIroh: ['status', 'vm_ops'], raftTransport: 'grpc', fallbackToGrpc: true },
    prometheus: true,
    workDir: dir,
  });
}, 600_000);

afterAll(async () => {
  const container = cluster?.state.prometheus?.container;
  await cluster?.stop();
  if (container) {
    // stop() removed it.
    await expect(new Docker().getContainer(container).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }
  await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('selectorsIn', () => {
  it('finds names and matchers, inside functions and around `or`', () => {
    expect(
      selectorsIn(
        'sum by (t) (rate(blixard_rpc_server_duration_seconds_count{code!="0"}[1m])) or count(udp_proxy_link_enabled == 0) or vector(0)',
      ),
    ).toEqual(['blixard_rpc_server_duration_seconds_count{code!="0"}', 'udp_proxy_link_enabled']);
  });
});

describe('dashboard panels against the process lab’s Prometheus', () => {
  it('all return data after traffic over both transports and faults on the hub', async () => {
    const c = cluster as Cluster;
    expect(c.prometheus).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const prom = new PrometheusApi(c.prometheus as string);

    // Every node, the UDP proxy and Prometheus itself are scraped directly.
    const targets = await prom.waitForScrapes(1);
    expect(targets.map((t) => `${t.job} ${t.instance}`).sort()).toEqual(
      [
        ...c.state.nodes.map((n) => `blixard-node ${n.metrics}`),
        `chaos-hub-udp ${new URL(c.state.hub.udpAdmin).host}`,
        `prometheus ${new URL(c.prometheus as string).host}`,
      ].sort(),
    );

    const leader = await c.waitForLeader();
    const [cutOff, other] = c.nodes.map((n) => n.id).filter((id) => id !== leader) as [string, string];
    const slow = await c.link(other, leader);
    await slow.addToxic({ name: 'slow', type: 'latency', attributes: { latency: 5, jitter: 1 } });
    // Only the UDP side: `cutOff` cannot reach the leader over Iroh, and falls back to gRPC.
    const udpOnly = await c.links.get(`${cutOff}-${leader}`, ['udp']);
    await udpOnly.cut();

    const panels = await panelQueries();
    expect(panels.length).toBeGreaterThan(10);
    const deadline = Date.now() + 240_000;
    let missing: string[] = [];
    for (let round = 0; ; round++) {
      for (const cl of c.node(leader).clients) {
        for (let i = 0; i < 3; i++) {
          await cl.blixard
            .proposeTask({ key: `k${i}`, op: 1, value: `${cl.transport}-${round}` }, { timeoutMs: 5000 })
            .catch(() => undefined);
        }
      }
      for (const node of c.nodes) {
        for (const cl of node.clients) {
          await cl.cluster.healthCheck({}, { timeoutMs: 5000 });
          await cl.cluster.getTaskStatus({ taskId: `t-${round}` }, { timeoutMs: 5000 });
          await expect(cl.cluster.getVmStatus({ name: 'absent' }, { timeoutMs: 5000 })).rejects.toThrow(
            /not found/,
          );
          // Followers forward this to the leader over Iroh (or gRPC after a fallback).
          await expect(cl.cluster.startVm({ name: 'absent' }, { timeoutMs: 20_000 })).rejects.toThrow(
            /not found/,
          );
        }
      }
      missing = [];
      for (const p of panels) {
        for (const expr of p.exprs) {
          const r = await prom.query(expr);
          if (r.samples.length === 0) missing.push(`${p.dashboard} / ${p.panel}: ${expr}`);
          for (const sel of selectorsIn(expr)) {
            if ((await prom.query(sel)).samples.length === 0)
              missing.push(`${p.dashboard} / ${p.panel}: no series ${sel}`);
          }
        }
      }
      if (missing.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    expect(missing).toEqual([]);

    // What the panels show matches what was done.
    const down = await prom.query('udp_proxy_link_enabled == 0');
    expect(down.samples.map((s) => s.metric.proxy)).toEqual([`${cutOff}-${leader}`]);
    const toxics = await prom.query('udp_proxy_toxics > 0');
    expect(toxics.samples.map((s) => [s.metric.proxy, s.metric.type])).toContainEqual([
      `${other}-${leader}`,
      'latency',
    ]);
    const leaders = await prom.query('blixard_raft_is_leader == 1');
    expect(leaders.samples.map((s) => s.metric.node)).toEqual([leader]);
    const served = await prom.query('sum by (transport) (blixard_rpc_server_duration_seconds_count)');
    expect(served.samples.map((s) => s.metric.transport).sort()).toEqual(['grpc', 'iroh']);
    const fallbacks = await prom.query('sum by (node, method) (blixard_transport_fallbacks_total)');
    expect(fallbacks.samples.map((s) => [s.metric.node, s.metric.method])).toEqual([[cutOff, 'StartVm']]);
    // The recording rules evaluate too.
    const p99 = await prom.query('blixard:rpc_server_p99_seconds:by_transport');
    expect(p99.samples.length).toBeGreaterThan(0);
  }, 400_000);
});
