/**
 * Grafana for a lab run that has a Prometheus: started from the official image when the engine has
 * it or can pull it, with the lab's data source and dashboards provisioned; otherwise skipped, with
 * the reason. Its container carries the run's labels, so removing the run removes it.
 */

import { findFreePortBlock } from '../../node/lib/index.ts';
import type { ClusterState } from '../state/index.ts';
import { findGrafanaImage, startGrafanaContainer } from './grafana.ts';

export type LabGrafana = { url: string } | { skipped: string };

export async function startLabGrafana(
  state: ClusterState,
  labels: Record<string, string>,
  image?: string,
): Promise<LabGrafana> {
  if (!state.prometheus) return { skipped: 'the run has no Prometheus' };
  const found = await findGrafanaImage(image);
  if (!found.available) return { skipped: found.reason };
  const name = `blixard-${state.runId}-grafana`;
  if (state.runtime === 'process') {
    const port = await findFreePortBlock(1);
    return startGrafanaContainer({
      image: found.image,
      name,
      labels,
      prometheusUrl: state.prometheus.url,
      network: { kind: 'host', port },
    });
  }
  const [edge] = state.networks ?? [];
  if (!edge || !state.prometheus.container) return { skipped: 'the run has no network Prometheus is on' };
  return startGrafanaContainer({
    image: found.image,
    name,
    labels,
    prometheusUrl: `http://${state.prometheus.container}:9090`,
    network: { kind: 'networks', networks: [edge] },
  });
}
