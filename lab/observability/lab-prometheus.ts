/**
 * Prometheus for a lab run: scrapes every node's /metrics, the hub's UDP proxy and an exporter of
 * its Toxiproxy directly (never through a chaos link), with the rules of dashboards/prometheus.
 */
import { prometheusConfig, RULES_FILE } from '../../dashboards/index.ts';
import { ensureImages, type ProgressEvent } from '../../images/index.ts';
import { findFreePortBlock } from '../runtime/free-ports.ts';
import type { ClusterState } from '../runtime/state.ts';
import {
  type RunningPrometheus,
  removePrometheusContainer,
  startPrometheusContainer,
} from './prometheus-container.ts';
import { startToxiproxyExporter } from './toxiproxy-exporter-container.ts';

export const CONTAINER_RULES_FILE = '/etc/prometheus/rules.yml';

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
 * The process runtime's Prometheus: on the host network, listening on a free loopback port, scraping
 * the nodes' metrics ports, the UDP proxy's admin port and the Toxiproxy exporter on 127.0.0.1.
 */
export async function startProcessRunPrometheus(
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
  const exporter = await startToxiproxyExporter({
    image: tags.runtime,
    name: `blixard-${state.runId}-toxiproxy-exporter`,
    labels: opts.labels,
    toxiproxy: state.hub.tcpAdmin,
    network: { kind: 'host', port: await findFreePortBlock(1) },
  });
  try {
    const port = await findFreePortBlock(1);
    const self = `127.0.0.1:${port}`;
    return await startPrometheusContainer({
      image,
      name: `blixard-${state.runId}-prometheus`,
      labels: opts.labels,
      workDir: `${state.workDir}/prometheus`,
      config: prometheusConfig({
        runId: state.runId,
        nodes: state.nodes.map((n) => ({ id: n.id, address: n.metrics })),
        udpProxy: { address: hostPort(state.hub.udpAdmin) },
        tcpProxy: { address: exporter.address },
        rulesFile: CONTAINER_RULES_FILE,
        scrapeIntervalSeconds: opts.scrapeIntervalSeconds,
        self,
      }),
      files: [{ source: RULES_FILE, target: CONTAINER_RULES_FILE }],
      network: { kind: 'host', port },
    });
  } catch (err) {
    await removePrometheusContainer(exporter.container).catch(() => {});
    throw err;
  }
}
