/**
 * The Prometheus side of the lab, against the real prometheus image: promtool accepts the rendered
 * configuration and the rules (and rejects broken ones), and the container runner starts Prometheus
 * on Docker networks, scraping by container name, reachable from the host.
 */

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusConfig, RULES_FILE } from '../../dashboards/index.ts';
import { ensureImages } from '../../images/index.ts';
import { release } from '../../node/lib/index.ts';
import { CONTAINER_RULES_FILE } from './lab-prometheus.ts';
import { removePrometheusContainer, startPrometheusContainer } from './prometheus-container.ts';
import { checkConfig, checkRules } from './promtool.ts';

const run = `obs-test-${randomBytes(3).toString('hex')}`;
const labels = { 'blixard-lab.test': run };
let image: string;
let dir: string;

beforeAll(async () => {
  image = (await ensureImages(['prometheus'])).prometheus;
  dir = await mkdtemp(join(tmpdir(), 'obs-'));
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('promtool', () => {
  it('accepts the lab rules and rejects a broken rule', async () => {
    const good = await checkRules(image, RULES_FILE);
    expect(good.output).toMatch(/SUCCESS/);
    expect(good.code).toBe(0);
    const bad = join(dir, 'bad-rules.yml');
    await writeFile(
      bad,
      'groups:\n  - name: x\n    rules:\n      - record: x:y\n        expr: sum(rate(foo[1m]\n',
    );
    const r = await checkRules(image, bad);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/FAILED|error/i);
  });

  it('accepts a rendered config with its rules file, and rejects a config whose rules file is broken', async () => {
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      prometheusConfig({
        runId: run,
        nodes: [
          { id: 'n1', address: '127.0.0.1:9101' },
          { id: 'n2', address: '127.0.0.1:9102' },
        ],
        udpProxy: { address: '127.0.0.1:8475' },
        rulesFile: CONTAINER_RULES_FILE,
        self: '127.0.0.1:9090',
      }),
    );
    const good = await checkConfig(image, config, [{ source: RULES_FILE, target: CONTAINER_RULES_FILE }]);
    expect(good.output).toMatch(/SUCCESS/);
    expect(good.code).toBe(0);
    const broken = join(dir, 'broken-rules.yml');
    await writeFile(broken, 'groups:\n  - name: x\n    rules:\n      - record: bad name\n        expr: up\n');
    const bad = await checkConfig(image, config, [{ source: broken, target: CONTAINER_RULES_FILE }]);
    expect(bad.code).not.toBe(0);
  });
});

describe('prometheus container on Docker networks', () => {
  const d = new Docker();
  const name = `blixard-${run}-prometheus`;
  const networks: string[] = [];

  afterAll(async () => {
    await removePrometheusContainer(name);
    for (const n of networks) await release(d.getNetwork(n).remove());
  });

  it('joins every network, scrapes by container name and answers on a published loopback port', async () => {
    for (const part of ['a', 'b']) {
      const net = `blixard-${run}-${part}`;
      await d.createNetwork({ Name: net, Labels: labels });
      networks.push(net);
    }
    const prom = await startPrometheusContainer({
      image,
      name,
      labels,
      workDir: join(dir, 'prom'),
      config: prometheusConfig({ runId: run, nodes: [], self: `${name}:9090`, scrapeIntervalSeconds: 1 }),
      network: { kind: 'networks', networks },
    });
    expect(prom.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await d.getContainer(name).inspect();
    expect(Object.keys(info.NetworkSettings.Networks).sort()).toEqual([...networks].sort());
    expect(info.Config.Labels).toMatchObject(labels);
    const targets = await prom.api.waitForScrapes(1);
    expect(targets.map((t) => [t.job, t.instance, t.health])).toEqual([['prometheus', `${name}:9090`, 'up']]);
    const up = await prom.api.query('up{job="prometheus"}');
    expect(up.samples.map((s) => s.value[1])).toEqual(['1']);
    await removePrometheusContainer(name);
    await expect(d.getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
