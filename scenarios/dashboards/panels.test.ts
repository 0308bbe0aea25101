/**
 * Every panel query of every dashboard in dashboards/grafana returns data from the lab's real
 * Prometheus after traffic, on both runtimes: on the process runtime Prometheus runs in a container
 * on the host network and scrapes loopback; on the docker runtime it sits on every node network and
 * the hub's and scrapes by container name (dashboard-check.ts says what is done and checked).
 * Skipped where no Docker engine answers (Prometheus runs in a container on both).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, dockerReachable, type RuntimeKind } from '../../lab/runtime/index.ts';
import { checkDashboards, DASHBOARD_CHECK_STRATEGY } from './dashboard-check.ts';

const docker = await dockerReachable();

describe.skipIf(!docker).each<RuntimeKind>(['process', 'docker'])(
  'dashboard panels on the %s runtime',
  (runtime) => {
    let cluster: Cluster | undefined;
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), `lab-panels-${runtime}-`));
      cluster = await Cluster.start({
        nodes: 3,
        runtime,
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
        await expect(new Docker().getContainer(container).inspect()).rejects.toMatchObject({
          statusCode: 404,
        });
      }
      await rm(dir, { recursive: true, force: true });
    }, 120_000);

    it('all return data after traffic over both transports and faults on the hub', async () => {
      const c = cluster as Cluster;
      expect(c.prometheus).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const result = await checkDashboards(c);
      expect(result.problems).toEqual([]);
      expect(result.panels).toBeGreaterThan(15);
    }, 400_000);
  },
);
