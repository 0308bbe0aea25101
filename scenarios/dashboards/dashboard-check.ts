/**
 * The lab's dashboards against a running cluster's Prometheus, the same on every runtime: drives
 * traffic over both transports and puts faults on the hub, then checks that every panel query of
 * dashboards/grafana returns data, that every series a query reads exists (so `or vector(0)` cannot
 * hide a missing one), and that what the panels show matches what was done.
 *
 * What it does to the cluster (the strategy must put `vm_ops` on Iroh, with fallback to gRPC, and
 * keep health probes off Iroh so that no Iroh connection between nodes exists beforehand):
 *  - a latency toxic on one follower's link to the leader (both transports: Toxiproxy and the UDP
 *    proxy, seen through the exporter and the UDP proxy's metrics);
 *  - the UDP side of the other follower's link to the leader cut, so its forwarded VM calls fail to
 *    connect over Iroh and fall back to gRPC;
 *  - register writes on the leader and health, task, VM status and StartVm calls (the last two for
 *    a VM that does not exist: NOT_FOUND) on every node over each transport it serves.
 */

import { panelQueries } from '../../dashboards/index.ts';
import { PrometheusApi, selectorsIn } from '../../lab/observability/index.ts';
import type { Cluster } from '../../lab/runtime/index.ts';
import { sleep } from '../../node/lib/index.ts';

export interface DashboardCheck {
  /** Everything that is not as it should be; empty when the dashboards work. */
  problems: string[];
  panels: number;
  queries: number;
  rounds: number;
}

async function expectNotFound(call: Promise<unknown>, what: string, problems: string[]): Promise<void> {
  try {
    await call;
    problems.push(`${what}: answered, expected NOT_FOUND`);
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) problems.push(`${what}: ${(err as Error).message}`);
  }
}

/** Runs the traffic and faults, then the checks; gives up after `timeoutMs` with what is still missing. */
export async function checkDashboards(cluster: Cluster, timeoutMs = 240_000): Promise<DashboardCheck> {
  const url = cluster.prometheus;
  if (!url) return { problems: ['the cluster has no Prometheus'], panels: 0, queries: 0, rounds: 0 };
  const prom = new PrometheusApi(url);
  const problems: string[] = [];

  // Every node, the UDP proxy and Prometheus itself are scraped, and up.
  const targets = await prom.waitForScrapes(1);
  const jobs = targets.map((t) => t.job).sort();
  const want = [
    ...cluster.nodes.map(() => 'blixard-node'),
    'chaos-hub-tcp',
    'chaos-hub-udp',
    'prometheus',
  ].sort();
  if (jobs.join() !== want.join())
    problems.push(`scrape jobs ${jobs.join(', ')}; expected ${want.join(', ')}`);

  const leader = await cluster.waitForLeader();
  const followers = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
  const [cutOff, slowed] = followers;
  if (!cutOff || !slowed) return { problems: ['needs at least 3 nodes'], panels: 0, queries: 0, rounds: 0 };
  const slow = await cluster.link(slowed, leader);
  await slow.addToxic({ name: 'slow', type: 'latency', attributes: { latency: 5, jitter: 1 } });
  const udpOnly = await cluster.links.get(`${cutOff}-${leader}`, ['udp']);
  await udpOnly.cut();

  const panels = await panelQueries();
  const queries = panels.reduce((n, p) => n + p.exprs.length, 0);
  const deadline = Date.now() + timeoutMs;
  let missing: string[] = [];
  let rounds = 0;
  for (;;) {
    rounds++;
    const callProblems: string[] = [];
    for (const cl of cluster.node(leader).clients) {
      for (let i = 0; i < 3; i++) {
        await cl.blixard
          .proposeTask({ key: `k${i}`, op: 1, value: `${cl.transport}-${rounds}` }, { timeoutMs: 5000 })
          .catch((err: Error) =>
            callProblems.push(`write on ${leader} over ${cl.transport}: ${err.message}`),
          );
      }
    }
    for (const node of cluster.nodes) {
      for (const cl of node.clients) {
        const on = `${node.id} over ${cl.transport}`;
        await cl.cluster
          .healthCheck({}, { timeoutMs: 5000 })
          .catch((err: Error) => callProblems.push(`HealthCheck on ${on}: ${err.message}`));
        await cl.cluster
          .getTaskStatus({ taskId: `t-${rounds}` }, { timeoutMs: 5000 })
          .catch((err: Error) => callProblems.push(`GetTaskStatus on ${on}: ${err.message}`));
        await expectNotFound(
          cl.cluster.getVmStatus({ name: 'absent' }, { timeoutMs: 5000 }),
          `GetVmStatus on ${on}`,
          callProblems,
        );
        // Followers forward this to the leader over Iroh (or over gRPC after a fallback).
        await expectNotFound(
          cl.cluster.startVm({ name: 'absent' }, { timeoutMs: 20_000 }),
          `StartVm on ${on}`,
          callProblems,
        );
      }
    }
    missing = [...callProblems];
    for (const p of panels) {
      for (const expr of p.exprs) {
        try {
          if ((await prom.query(expr)).samples.length === 0)
            missing.push(`${p.dashboard} / ${p.panel}: no data for ${expr}`);
          for (const sel of selectorsIn(expr)) {
            if ((await prom.query(sel)).samples.length === 0)
              missing.push(`${p.dashboard} / ${p.panel}: no series ${sel}`);
          }
        } catch (err) {
          missing.push(`${p.dashboard} / ${p.panel}: ${(err as Error).message}`);
        }
      }
    }
    if (missing.length === 0 || Date.now() > deadline) break;
    await sleep(2000);
  }
  problems.push(...missing);

  // What the panels show matches what was done.
  const values = async (expr: string, label: string) =>
    (await prom.query(expr)).samples.map((s) => s.metric[label] ?? '').sort();
  const same = (what: string, got: string[], expected: string[]) => {
    if (got.join() !== expected.join())
      problems.push(`${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  };
  same('UDP links down', await values('udp_proxy_link_enabled == 0', 'proxy'), [`${cutOff}-${leader}`]);
  same('links with a latency toxic', await values('udp_proxy_toxics{type="latency"} > 0', 'proxy'), [
    `${slowed}-${leader}`,
  ]);
  // The UDP-only cut leaves the TCP side up; the latency toxic is on both sides.
  same('TCP links down', await values('toxiproxy_link_enabled == 0', 'proxy'), []);
  same('TCP links with a latency toxic', await values('toxiproxy_toxics{type="latency"} > 0', 'proxy'), [
    `${slowed}-${leader}`,
  ]);
  same('Toxiproxy answering the exporter', await values('toxiproxy_up == 1', 'job'), ['chaos-hub-tcp']);
  same('leader', await values('blixard_raft_is_leader == 1', 'node'), [leader]);
  same(
    'transports serving RPCs',
    await values('sum by (transport) (blixard_rpc_server_duration_seconds_count)', 'transport'),
    ['grpc', 'iroh'],
  );
  same(
    'nodes that fell back to gRPC',
    await values('sum by (node) (blixard_transport_fallbacks_total{method="StartVm"})', 'node'),
    [cutOff],
  );
  same(
    'recording rule p99 by transport',
    await values('blixard:rpc_server_p99_seconds:by_transport', 'transport'),
    ['grpc', 'iroh'],
  );
  // Every rule of dashboards/prometheus is loaded and evaluates without error.
  const rules = await prom.rules();
  if (rules.length === 0) problems.push('no rules loaded');
  for (const r of rules) {
    if (r.health !== 'ok') problems.push(`rule ${r.group}/${r.name}: ${r.health} ${r.lastError ?? ''}`);
  }
  const firing = rules.filter((r) => r.name === 'LabScrapeTargetDown' && r.state !== 'inactive');
  if (firing.length > 0) problems.push('LabScrapeTargetDown is pending or firing');
  return { problems, panels: panels.length, queries, rounds };
}

/** The strategy checkDashboards needs (VM operations over Iroh with fallback; Raft and probes on gRPC). */
export const DASHBOARD_CHECK_STRATEGY = {
  preferIroh: ['status', 'vm_ops'],
  raftTransport: 'grpc',
  fallbackToGrpc: true,
} as const;
