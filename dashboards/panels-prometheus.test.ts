/**
 * Every dashboard panel's query returns data from the lab's real Prometheus after traffic, on the
 * docker runtime: Prometheus on every node network and the hub's, scraping by container name.
 * The traffic, the faults and the checks are lab/observability's dashboard check (the process
 * runtime runs the same in lab/observability/panels.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDashboards, DASHBOARD_CHECK_STRATEGY } from '../lab/observability/dashboard-check.ts';
import { Cluster } from '../lab/runtime/index.ts';

let cluster: Cluster | undefined;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-panels-'));
  cluster = await Cluster.start({
    nodes: 3,
    runtime: 'docker',
    mode: 'dual',
    strategy: { ...DASHBOARD_CHECK_STRATEGY, preferIroh: [...DASHBOARD_CHECK_STRATEGY.preferIroh] },
    workDir: dir,
  });
}, 600_000);

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('dashboard panels against the docker lab’s Prometheus', () => {
  it('all return data after traffic over both transports and faults on the hub', async () => {
    const c = cluster as Cluster;
    expect(c.prometheus).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const result = await checkDashboards(c);
    expect(result.problems).toEqual([]);
    expect(result.panels).toBeGreaterThan(15);
  }, 400_000);
});
