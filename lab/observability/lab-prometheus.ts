/**
 * Prometheus for a lab run: scrapes every node's /metrics, the hub's UDP proxy and an exporter of
 * its Toxiproxy directly (never through a chaos link), with the rules of dashboards/prometheus.
 */

import { mkdir } from 'node:fs/promises';
import { prometheusConfig, RULES_FILE } from '../../dashboards/index.ts';
import {
  ensureImages,
  type ProgressEvent,
  TOXIPROXY_API_PORT,
  UDP_PROXY_API_PORT,
} from '../../images/index.ts';
import { findFreePortBlock } from '../../node/lib/index.ts';
import type { ClusterState } from '../state/index.ts';
import {
  type RunningPrometheus,
  removePrometheusContainer,
  startPrometheusContainer,
} from './prometheus-container.ts';
import { scrapeTargetsDir } from './scrape-targets.ts';
import { startToxiproxyExporter } from './toxiproxy-exporter-container.ts';

export const CONTAINER_RULES_FILE = '/etc/prometheus/rules.yml';
/** Where the run's file-discovered targets (scrape-targets.ts) appear inside the Prometheus container. */
export const CONTAINER_TARGETS_DIR = '/etc/prometheus/targets';

export interface LabPrometheusOptions {
  /** Labels for the container (the run's, so that `lab down` and the orphan sweep find it). */
  labels: Record<string, string>;
  /** The prometheus image tag; built (or found in the cache) when not given. */
  image?: string | undefined;
  /** Progress lines while images are built (a cold machine builds base, runtime and prometheus). */
  onProgress?: ((message: string) => void) | undefined;
  /** Seconds between scrapes (default 2: short runs still get several points). */
  scrapeIntervalSeconds?: number | undefined;
}

function hostPort(url: string): string {
  return new URL(url).host;
}

/**
 * The run's Prometheus, the one way it is started, scraping every node, the hub's UDP proxy and an
 * exporter of its Toxiproxy directly (never through a chaos link):
 *  - process runtime: on the host network on a free loopback port, scraping loopback addresses;
 *  - docker runtime: on the edge network and every node network, scraping by container name.
 */
export async function startLabPrometheus(
  state: ClusterState,
  opts: LabPrometheusOptions,
): Promise<RunningPrometheus> {
  const tags = await ensureImages(opts.image ? ['runtime'] : ['runtime', 'prometheus'], {
    onProgress: (e: ProgressEvent) => {
      if (e.phase !== 'check') opts.onProgress?.(`image ${e.image}: ${e.message}`);
    },
  });
  const image = opts.image ?? tags.prometheus;
  if (!image || !tags.runtime) throw new Error('prometheus: images not built');
  const docker = state.runtime === 'docker';
  const [edge, ...nodeNetworks] = state.networks ?? [];
  if (docker && !edge) throw new Error('prometheus: the run has no edge network');
  const exporter = await startToxiproxyExporter({
    image: tags.runtime,
    name: `blixard-${state.runId}-toxiproxy-exporter`,
    labels: opts.labels,
    toxiproxy: docker ? `http://${state.hub.container}:${TOXIPROXY_API_PORT}` : state.hub.tcpAdmin,
    network: docker
      ? { kind: 'networks', networks: [edge as string] }
      : { kind: 'host', port: await findFreePortBlock(1) },
  });
  try {
    const port = docker ? undefined : await findFreePortBlock(1);
    const targets = scrapeTargetsDir(state);
    await mkdir(targets, { recursive: true });
    return await startPrometheusContainer({
      image,
      name: `blixard-${state.runId}-prometheus`,
      labels: opts.labels,
      workDir: `${state.workDir}/prometheus`,
      config: prometheusConfig({
        runId: state.runId,
        nodes: state.nodes.map((n) => ({ id: n.id, address: docker ? `${n.container}:9100` : n.metrics })),
        udpProxy: {
          address: docker ? `${state.hub.container}:${UDP_PROXY_API_PORT}` : hostPort(state.hub.udpAdmin),
        },
        tcpProxy: { address: exporter.address },
        rulesFile: CONTAINER_RULES_FILE,
        fileTargets: CONTAINER_TARGETS_DIR,
        scrapeIntervalSeconds: opts.scrapeIntervalSeconds,
        ...(port !== undefined && { self: `127.0.0.1:${port}` }),
      }),
      files: [
        { source: RULES_FILE, target: CONTAINER_RULES_FILE },
        { source: targets, target: CONTAINER_TARGETS_DIR },
      ],
      network:
        port !== undefined
          ? { kind: 'host', port }
          : { kind: 'networks', networks: [edge as string, ...nodeNetworks] },
    });
  } catch (err) {
    await removePrometheusContainer(exporter.container).catch((cleanup: unknown) => {
      throw new AggregateError(
        [err, cleanup],
        `prometheus did not start, and its exporter could not be removed`,
      );
    });
    throw err;
  }
}
