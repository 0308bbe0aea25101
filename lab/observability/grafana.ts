/**
 * Grafana next to the lab's Prometheus, from its official image where the engine has it or can pull
 * it. No registry is reachable on an offline machine: then Grafana is skipped with the reason, and
 * the dashboards are still checked against the real Prometheus by the tests.
 */

import { execFile } from 'node:child_process';
import Docker from 'dockerode';
import { DASHBOARDS_DIR, PROVISIONING_DIR } from '../../dashboards/index.ts';
import { release, sleep } from '../../node/lib/index.ts';
import { type ContainerNetwork, placement, startPlaced } from './placement.ts';

export const GRAFANA_IMAGE = 'grafana/grafana-oss:11.3.0';
const GRAFANA_PORT = 3000;

export type GrafanaImage = { available: true; image: string } | { available: false; reason: string };

function run(args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('docker', args, { maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
        output: `${stdout}${stderr}`,
      });
    });
  });
}

/**
 * The image when the engine has it; otherwise why not. The lab pulls it only when asked
 * (`LAB_GRAFANA_PULL=1`): by default nothing leaves the machine for a registry.
 */
export async function findGrafanaImage(
  image = GRAFANA_IMAGE,
  pull = process.env.LAB_GRAFANA_PULL === '1',
): Promise<GrafanaImage> {
  if ((await run(['image', 'inspect', image])).code === 0) return { available: true, image };
  if (!pull) {
    return {
      available: false,
      reason: `${image} is not in the engine (docker pull ${image}, or LAB_GRAFANA_PULL=1 to let lab up pull it)`,
    };
  }
  return pullGrafana(image);
}

async function pullGrafana(image: string): Promise<GrafanaImage> {
  const pull = await run(['pull', '--quiet', image]);
  if (pull.code === 0) return { available: true, image };
  const why = pull.output.trim().split('\n').pop() ?? '';
  const offline = /no such host|dial tcp|timeout|connection refused|network is unreachable/i.test(why);
  return {
    available: false,
    reason: `${offline ? 'no container registry reachable' : `cannot pull ${image}`} (${why.replace(/^Error response from daemon: /, '')})`,
  };
}

/** One line for `lab up`: where Grafana is, or that it was skipped and why. */
export function grafanaLine(result: { url: string } | { skipped: string }): string {
  if ('url' in result) return `grafana: ${result.url} (dashboards in the Blixard folder)`;
  return `grafana: skipped — ${result.skipped}; dashboards/grafana is provisioned into it when its image is available`;
}

export interface GrafanaOptions {
  image: string;
  name: string;
  labels: Record<string, string>;
  /** Prometheus as Grafana's container reaches it. */
  prometheusUrl: string;
  network: ContainerNetwork;
}

/** Starts Grafana with the lab's data source and dashboards provisioned; resolves with its URL once healthy. */
export async function startGrafanaContainer(
  opts: GrafanaOptions,
): Promise<{ url: string; container: string }> {
  const d = new Docker();
  const placed = placement(opts.network, GRAFANA_PORT);
  const env = [
    `BLIXARD_PROMETHEUS_URL=${opts.prometheusUrl}`,
    'GF_AUTH_ANONYMOUS_ENABLED=true',
    'GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer',
    'GF_ANALYTICS_REPORTING_ENABLED=false',
    'GF_ANALYTICS_CHECK_FOR_UPDATES=false',
    ...(opts.network.kind === 'host'
      ? ['GF_SERVER_HTTP_ADDR=127.0.0.1', `GF_SERVER_HTTP_PORT=${opts.network.port}`]
      : []),
  ];
  const container = await d.createContainer({
    name: opts.name,
    Image: opts.image,
    Labels: opts.labels,
    Env: env,
    ExposedPorts: placed.ExposedPorts,
    HostConfig: {
      ...placed.HostConfig,
      Binds: [
        `${PROVISIONING_DIR}:/etc/grafana/provisioning:ro`,
        `${DASHBOARDS_DIR}:/var/lib/grafana/dashboards:ro`,
      ],
    },
  });
  try {
    const onHost = opts.network.kind === 'host' ? `http://127.0.0.1:${opts.network.port}` : '';
    const url = await startPlaced(d, container, opts.network, GRAFANA_PORT, 'grafana', onHost);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const ok = await fetch(`${url}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return { url, container: opts.name };
      if (!(await container.inspect()).State.Running) throw new Error('grafana exited while starting');
      if (Date.now() > deadline) throw new Error(`grafana at ${url} did not become healthy`);
      await sleep(500);
    }
  } catch (err) {
    await release(container.remove({ force: true, v: true }));
    throw err;
  }
}
