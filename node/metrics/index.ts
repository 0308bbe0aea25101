export { type MetricsServer, startMetricsServer } from './metrics-server.ts';
export { NodeMetrics } from './node-metrics.ts';
