/**
 * The lab's Prometheus as a container of the prometheus image (images/): its configuration and
 * rules mounted read-only, its storage in the container's anonymous volume (removed with it), labelled with the run so that `lab down` and the
 * orphan sweep remove it. Two ways to reach the targets:
 *
 *  - `host`: on the host's network, listening on 127.0.0.1 only; scrapes loopback ports (the
 *    process runtime's nodes and hub);
 *  - `networks`: on the given Docker networks (every node network and the hub's), scraping by
 *    container name; its port published on 127.0.0.1.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { PROMETHEUS_PORT } from '../../images/index.ts';
import { release, sleep } from '../../node/lib/index.ts';
import { type ContainerNetwork, placement, startPlaced } from './placement.ts';
import { PrometheusApi } from './prometheus-api.ts';

export type PrometheusNetwork = ContainerNetwork;

export interface PrometheusContainerOptions {
  image: string;
  /** Container name (unique per run). */
  name: string;
  labels: Record<string, string>;
  /** prometheus.yml as text. */
  config: string;
  /** Further files mounted read-only (rules files the config names, at the path it names them). */
  files?: readonly { source: string; target: string }[];
  /** Where the rendered config is written on the host. */
  workDir: string;
  network: PrometheusNetwork;
  /** How long to wait for /-/ready (default 60 s). */
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** Base URL as the lab's process reaches it, e.g. http://127.0.0.1:9090. */
  url: string;
  container: string;
  api: PrometheusApi;
}

let client: Docker | undefined;
function docker(): Docker {
  client ??= new Docker();
  return client;
}

export async function startPrometheusContainer(opts: PrometheusContainerOptions): Promise<RunningPrometheus> {
  await mkdir(opts.workDir, { recursive: true });
  const configPath = join(opts.workDir, 'prometheus.yml');
  await writeFile(configPath, opts.config, { mode: 0o644 });
  const binds = [
    `${configPath}:/etc/prometheus/prometheus.yml:ro`,
    ...(opts.files ?? []).map((f) => `${f.source}:${f.target}:ro`),
  ];
  const host = opts.network.kind === 'host';
  const listen = host ? `127.0.0.1:${(opts.network as { port: number }).port}` : `:${PROMETHEUS_PORT}`;
  if (opts.network.kind === 'networks' && opts.network.networks.length === 0)
    throw new Error('prometheus: no network to attach to');
  const placed = placement(opts.network, PROMETHEUS_PORT);
  const container = await docker().createContainer({
    name: opts.name,
    Image: opts.image,
    Labels: opts.labels,
    Cmd: [
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
      `--web.listen-address=${listen}`,
    ],
    ExposedPorts: placed.ExposedPorts,
    HostConfig: { ...placed.HostConfig, Binds: binds },
  });
  try {
    const url = await startPlaced(
      docker(),
      container,
      opts.network,
      PROMETHEUS_PORT,
      'prometheus',
      `http://${listen}`,
    );
    const api = new PrometheusApi(url);
    await waitReady(api, container, opts.readyTimeoutMs ?? 60_000);
    return { url, container: opts.name, api };
  } catch (err) {
    const logs = await containerLogs(container).catch(() => '');
    await release(container.remove({ force: true, v: true }));
    const tail = logs.trim().split('\n').slice(-15).join('\n');
    throw new Error(`prometheus did not start: ${(err as Error).message}${tail ? `\n${tail}` : ''}`);
  }
}

/** Removes the container (and its anonymous volumes); a container already gone is not an error. */
export async function removePrometheusContainer(name: string): Promise<void> {
  try {
    await docker().getContainer(name).remove({ force: true, v: true });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}

async function waitReady(api: PrometheusApi, container: Docker.Container, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await api.ready()) return;
    const info = await container.inspect();
    if (!info.State.Running) throw new Error(`the container exited (status ${info.State.ExitCode})`);
    if (Date.now() > deadline) throw new Error(`${api.url}/-/ready did not answer within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function containerLogs(container: Docker.Container): Promise<string> {
  const buf = (await container.logs({ stdout: true, stderr: true, tail: 50 })) as unknown as Buffer;
  // Multiplexed stream: 8-byte headers before each chunk.
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString();
    i += 8 + len;
  }
  return out;
}
