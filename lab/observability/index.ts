/** The lab's observability: its Prometheus (and Grafana where its image is available), and their APIs. */

export {
  findGrafanaImage,
  GRAFANA_IMAGE,
  type GrafanaImage,
  type GrafanaOptions,
  grafanaLine,
  startGrafanaContainer,
} from './grafana.ts';
export { type LabGrafana, startLabGrafana } from './lab-grafana.ts';
export {
  CONTAINER_RULES_FILE,
  CONTAINER_TARGETS_DIR,
  type LabPrometheusOptions,
  startLabPrometheus,
} from './lab-prometheus.ts';
export {
  type ActiveAlert,
  type LoadedRule,
  PrometheusApi,
  PrometheusQueryError,
  type QueryResult,
  type Sample,
  type ScrapeTarget,
} from './prometheus-api.ts';
export {
  type PrometheusContainerOptions,
  type PrometheusNetwork,
  type RunningPrometheus,
  removePrometheusContainer,
  startPrometheusContainer,
} from './prometheus-container.ts';
export { selectorsIn } from './promql-selectors.ts';
export { checkConfig, checkRules, type PromtoolResult, promtool } from './promtool.ts';
export { addScrapeTarget, hostAddressForPrometheus, scrapeTargetsDir } from './scrape-targets.ts';
export { renderToxiproxyMetrics, serveToxiproxyMetrics } from './toxiproxy-exporter.ts';
export {
  EXPORTER_PORT,
  type RunningExporter,
  startToxiproxyExporter,
  type ToxiproxyExporterOptions,
} from './toxiproxy-exporter-container.ts';
