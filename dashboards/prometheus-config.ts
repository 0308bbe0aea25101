/**
 * The lab's Prometheus configuration: every node's /metrics, the hub's UDP proxy and the exporter of
 * its Toxiproxy, scraped
 * directly (never through a chaos link), with the recording rules of prometheus/rules.yml.
 */
import { stringify } from 'yaml';

export interface ScrapeTarget {
  /** host:port as Prometheus reaches it. */
  address: string;
  labels?: Record<string, string>;
}

export interface PrometheusConfigInput {
  nodes: readonly (ScrapeTarget & { id: string })[];
  /** The UDP toxic proxy's admin API (serves /metrics). */
  udpProxy?: ScrapeTarget | undefined;
  /** The exporter of Toxiproxy's links and toxics (lab/observability/toxiproxy-exporter.ts). */
  tcpProxy?: ScrapeTarget | undefined;
  scrapeIntervalSeconds?: number;
  /** Where the rules file is inside the Prometheus container (omit for none). */
  rulesFile?: string | undefined;
  /** Where Prometheus scrapes itself (default localhost:9090; another port on the host network). */
  self?: string | undefined;
  /**
   * A folder inside the Prometheus container whose `*.json` files (file_sd) name short-lived targets
   * on the host, such as `lab load` while it runs; each file adds or removes its target.
   */
  fileTargets?: string | undefined;
  runId: string;
}

export function prometheusConfig(input: PrometheusConfigInput): string {
  const interval = `${input.scrapeIntervalSeconds ?? 2}s`;
  const config = {
    global: {
      scrape_interval: interval,
      evaluation_interval: interval,
      external_labels: { lab_run: input.runId },
    },
    ...(input.rulesFile && { rule_files: [input.rulesFile] }),
    scrape_configs: [
      {
        job_name: 'blixard-node',
        metrics_path: '/metrics',
        static_configs: input.nodes.map((n) => ({
          targets: [n.address],
          labels: { instance_node: n.id, ...n.labels },
        })),
      },
      ...(input.udpProxy
        ? [
            {
              job_name: 'chaos-hub-udp',
              metrics_path: '/metrics',
              static_configs: [{ targets: [input.udpProxy.address], labels: { ...input.udpProxy.labels } }],
            },
          ]
        : []),
      ...(input.tcpProxy
        ? [
            {
              job_name: 'chaos-hub-tcp',
              metrics_path: '/metrics',
              static_configs: [{ targets: [input.tcpProxy.address], labels: { ...input.tcpProxy.labels } }],
            },
          ]
        : []),
      ...(input.fileTargets
        ? [
            {
              job_name: 'blixard-load',
              metrics_path: '/metrics',
              file_sd_configs: [{ files: [`${input.fileTargets}/*.json`], refresh_interval: '5s' }],
            },
          ]
        : []),
      { job_name: 'prometheus', static_configs: [{ targets: [input.self ?? 'localhost:9090'] }] },
    ],
  };
  return `# Rendered by the lab for run ${input.runId}.\n${stringify(config)}`;
}
