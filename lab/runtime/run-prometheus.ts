/** Starts the run's Prometheus (lab/observability) and records where it is in the run's state. */
import { startLabPrometheus } from '../observability/index.ts';
import type { ClusterState } from '../state/index.ts';

export async function attachPrometheus(
  state: ClusterState,
  o: { labels: Record<string, string>; image?: string | undefined; progress: (message: string) => void },
): Promise<void> {
  o.progress(
    state.runtime === 'docker'
      ? 'prometheus: starting, scraping every node and the hub'
      : 'prometheus: starting on the host network, scraping every node and the hub on loopback',
  );
  const prom = await startLabPrometheus(state, { labels: o.labels, image: o.image, onProgress: o.progress });
  state.prometheus = { url: prom.url, container: prom.container };
}
