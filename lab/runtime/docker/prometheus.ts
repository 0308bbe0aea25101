/**
 * Prometheus next to a docker cluster: on the edge network and on every node network, so it scrapes
 * each node's metrics port and the hub's UDP proxy directly, never through a chaos link.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GenericContainer, Wait } from 'testcontainers';
import { prometheusConfig, RULES_FILE } from '../../../dashboards/index.ts';
import {
  ensureImages,
  PROMETHEUS_PORT,
  TOXIPROXY_API_PORT,
  UDP_PROXY_API_PORT,
} from '../../../images/index.ts';
import { startToxiproxyExporter } from '../../observability/index.ts';
import type { ClusterState } from '../state.ts';
import { docker, resourceName } from './engine.ts';

export async function startPrometheus(
  state: ClusterState,
  image: string,
  labels: Record<string, string>,
): Promise<{ url: string; container: string }> {
  const [edge, ...nodeNetworks] = state.networks ?? [];
  if (!edge) throw new Error('prometheus: the run has no edge network');
  // Toxiproxy has no /metrics: an exporter of its links and toxics, next to the hub on the edge network.
  const exporter = await startToxiproxyExporter({
    image: (await ensureImages(['runtime'])).runtime,
    name: resourceName(state.runId, 'toxiproxy-exporter'),
    labels,
    toxiproxy: `http://${state.hub.container}:${TOXIPROXY_API_PORT}`,
    network: { kind: 'networks', networks: [edge] },
  });
  const dir = join(state.workDir, 'prometheus');
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    prometheusConfig({
      runId: state.runId,
      nodes: state.nodes.map((n) => ({ id: n.id, address: `${n.container}:9100` })),
      udpProxy: { address: `${state.hub.container}:${UDP_PROXY_API_PORT}` },
      tcpProxy: { address: exporter.address },
      rulesFile: '/etc/prometheus/rules.yml',
    }),
  );
  const name = resourceName(state.runId, 'prometheus');
  const started = await new GenericContainer(image)
    .withName(name)
    .withLabels(labels)
    .withNetworkMode(edge)
    .withBindMounts([
      { source: config, target: '/etc/prometheus/prometheus.yml', mode: 'ro' },
      { source: RULES_FILE, target: '/etc/prometheus/rules.yml', mode: 'ro' },
    ])
    .withExposedPorts(PROMETHEUS_PORT)
    .withWaitStrategy(Wait.forHttp('/-/ready', PROMETHEUS_PORT))
    .withStartupTimeout(60_000)
    .start();
  for (const net of nodeNetworks) await docker().getNetwork(net).connect({ Container: started.getId() });
  return { url: `http://127.0.0.1:${started.getMappedPort(PROMETHEUS_PORT)}`, container: name };
}
