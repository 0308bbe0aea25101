/** Load: an open-model generator (constant arrival rate, latency from the intended send time), RPC mixes and SLO thresholds. */
export { type ArrivalStep, dueAtMs, latencyFrom, nextStep, TIMER_SLACK_MS } from './arrivals.ts';
export { LOAD_FILE, type LoadRecord, loadId, type TransportFigures } from './load-record.ts';
export { LoadMetrics } from './metrics.ts';
export { type MixEntry, mixDrawer, parseMix } from './mix.ts';
export {
  type LoadWindow,
  type OpenLoopOptions,
  type OpenLoopResult,
  type Percentiles,
  runOpenLoop,
} from './open-loop.ts';
export { type Breach, judge, type LoadFigures, parseSlo, type Threshold } from './slo.ts';
