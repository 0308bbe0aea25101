/**
 * `lab up` prints where to look: the run's Prometheus (scraping every node and the UDP proxy) and
 * Grafana, or that Grafana was skipped and why; `lab down` removes Prometheus with the rest.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findGrafanaImage, grafanaLine, PrometheusApi } from '../../lab/observability/index.ts';
import { readState } from '../../lab/runtime/index.ts';
import { type LabRun, runLab } from '../run-lab.ts';

let dir: string;
let stateFile: string;

function lab(...args: string[]): Promise<LabRun> {
  return runLab(stateFile, args);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-obs-up-'));
  stateFile = join(dir, 'state.json');
});

afterAll(async () => {
  await lab('down');
  await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('grafana image lookup', () => {
  it('reports why an image the engine does not have cannot be used', async () => {
    const r = await findGrafanaImage('blixard-lab-test/no-such-grafana:0');
    expect(r.available).toBe(false);
    // Not pulled unless asked: nothing goes to a registry by default.
    if (!r.available)
      expect(r.reason).toMatch(
        /blixard-lab-test\/no-such-grafana:0 is not in the engine .*LAB_GRAFANA_PULL=1/,
      );
    expect(grafanaLine({ skipped: 'no container registry reachable (x)' })).toBe(
      'grafana: skipped — no container registry reachable (x); dashboards/grafana is provisioned into it when its image is available',
    );
  });
});

describe('lab up on the process runtime', () => {
  it('prints the Prometheus and Grafana lines; Prometheus scrapes every node; down removes it', async () => {
    const up = await lab('up', '--runtime', 'process', '--nodes', '3', '--mode', 'dual');
    expect(up.code, up.stderr).toBe(0);
    const state = await readState(stateFile);
    const url = state?.prometheus?.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(up.stdout).toContain(`prometheus: ${url}`);
    expect(up.stdout).toMatch(/^grafana: (http:\/\/127\.0\.0\.1:\d+ \(dashboards|skipped — .+)/m);

    const prom = new PrometheusApi(url as string);
    const targets = await prom.waitForScrapes(1);
    expect(
      targets
        .filter((t) => t.job === 'blixard-node')
        .map((t) => t.instance)
        .sort(),
    ).toEqual(state?.nodes.map((n) => n.metrics).sort());
    const leaders = await prom.query('sum(blixard_raft_is_leader)');
    expect(leaders.samples[0]?.value[1]).toBe('1');

    const down = await lab('down');
    expect(down.code, down.stderr).toBe(0);
    const left = await new Docker().listContainers({
      all: true,
      filters: { label: [`blixard-lab.run=${state?.runId}`] },
    });
    expect(left).toEqual([]);
  }, 300_000);
});
