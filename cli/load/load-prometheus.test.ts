/**
 * `lab load --json` against a lab with its Prometheus: the real CLI as a child process, its figures
 * queried back from the lab's Prometheus (job blixard-load), and the load drawn in the lab run's
 * report. One node on the process runtime (Prometheus in a container on the host's network);
 * skipped where no Docker engine answers.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusApi, scrapeTargetsDir } from '../../lab/observability/index.ts';
import { CLI_START_MS, Cluster, dockerReachable, waitUntil, writeState } from '../../lab/runtime/index.ts';
import { LAB_CLI, runLab } from '../run-lab.ts';

const docker = await dockerReachable();
let dir: string;
let cluster: Cluster | undefined;
let stateFile: string;

beforeAll(async () => {
  if (!docker) return;
  dir = await mkdtemp(join(tmpdir(), 'lab-load-prom-'));
  stateFile = join(dir, 'state.json');
  cluster = await Cluster.start({
    nodes: 1,
    runtime: 'process',
    mode: 'dual',
    workDir: join(dir, 'run'),
    prometheus: true,
  });
  await cluster.waitForLeader();
  await writeState(cluster.state, stateFile);
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!docker)('lab load and the lab Prometheus', () => {
  it('is scraped while it runs: requests by transport and outcome, and latency, queried back; its report draws it', async () => {
    const r = await runLab(
      stateFile,
      ['load', '--rate', '40', '--duration', '3s', '--mix', 'ClusterService/HealthCheck', '--json'],
      {},
      CLI_START_MS + 60_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      id: string;
      file: string;
      report: string;
      transports: Record<string, { sent: number; ok: number; timeline: { ok: number }[] }>;
    };
    expect(Object.keys(report.transports)).toEqual(['grpc', 'iroh']);
    expect(report.transports.grpc?.sent).toBe(120);
    const url = cluster?.state.prometheus?.url as string;
    expect(r.stderr).toContain(`load: Prometheus ${url} scrapes`);

    // The CLI ends after one scrape past its last request: the totals are in Prometheus.
    const api = new PrometheusApi(url);
    const byTransport = async () => {
      const q = await api.query(
        `sum by (transport, outcome) (blixard_load_requests_total{load="${report.id}"})`,
      );
      return Object.fromEntries(
        q.samples.map((s) => [`${s.metric.transport} ${s.metric.outcome}`, Number(s.value[1])]),
      );
    };
    const want = {
      'grpc ok': report.transports.grpc?.ok,
      'iroh ok': report.transports.iroh?.ok,
    };
    await waitUntil({
      what: `Prometheus to hold load ${report.id}'s request counts ${JSON.stringify(want)}`,
      boundMs: 10_000,
      probe: byTransport,
      holds: (seen) => JSON.stringify(seen) === JSON.stringify(want),
    });
    const count = await api.query(`sum(blixard_load_latency_seconds_count{load="${report.id}"})`);
    expect(Number(count.samples[0]?.value[1])).toBe((want['grpc ok'] ?? 0) + (want['iroh ok'] ?? 0));
    const p99 = await api.query(
      `histogram_quantile(0.99, sum by (le) (blixard_load_latency_seconds_bucket{load="${report.id}"}))`,
    );
    expect(Number(p99.samples[0]?.value[1])).toBeGreaterThan(0);

    // The lab run's report has the load panels, from the file it wrote.
    expect(report.file).toBe(join(cluster?.state.workDir as string, `${report.id}.json`));
    const html = await readFile(report.report, 'utf8');
    expect(html).toContain('data-panel="loadThroughput" data-state="ok"');
    expect(html).toContain('data-panel="loadLatency" data-state="ok"');
  }, 180_000);

  it('leaves no scrape target behind when interrupted', async () => {
    const targets = scrapeTargetsDir(cluster?.state as { workDir: string });
    const child = spawn(process.execPath, [LAB_CLI, 'load', '--rate', '20', '--duration', '60s'], {
      env: { ...process.env, LAB_STATE_FILE: stateFile },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const named = await waitUntil({
      what: 'lab load to name its scrape target',
      boundMs: CLI_START_MS + 10_000,
      probe: async () => (await readdir(targets)).filter((f) => f.endsWith('.json')),
      holds: (files) => files.length === 1,
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await readdir(targets), `named ${named}`).toEqual([]);
  }, 120_000);
});
