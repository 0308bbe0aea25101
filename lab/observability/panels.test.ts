/**
 * Every panel query of every dashboard in dashboards/grafana returns data from the lab's real
 * Prometheus after traffic, on the process runtime: Prometheus in a container on the host network,
 * scraping the nodes and the hub's UDP proxy on loopback (dashboard-check.ts says what is done and
 * checked; dashboards/panels-prometheus.test.ts runs the same on the docker runtime).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../runtime/index.ts';
import { checkDashboards, DASHBOARD_CHECK_STRATEGY } from './dashboard-check.ts';
import { selectorsIn } from './promql-selectors.ts';

let cluster: Cluster | undefined;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-obs-panels-'));
  cluster = await Cluster.start({
    nodes: 3,
    runtime: 'process',
    mode: 'dual',
    strategy: { ...DASHBOARD_CHECK_STRATEGY, preferIroh: [...DASHBOARD_CHECK_STRATEGY.preferIroh] },
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
    const result = await checkDashboards(c);
    expect(result.problems).toEqual([]);
    expect(result.panels).toBeGreaterThan(15);
  }, 400_000);
});
