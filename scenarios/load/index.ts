/** Load: an open-model generator (constant arrival rate, latency from the intended send time), RPC mixes and SLO thresholds. */
export { type MixEntry, mixDrawer, parseMix } from './mix.ts';
export { type OpenLoopOptions, type OpenLoopResult, type Percentiles, runOpenLoop } from './open-loop.ts';
export { type Breach, judge, type LoadFigures, parseSlo, type Threshold } from './slo.ts';
