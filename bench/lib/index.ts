/** What every benchmark shares: latency recording, child processes, Prometheus histograms. */

export { type BenchGoal, printBenchJson, ratioGoal } from './bench-json.ts';
export { startChild, stopChild } from './child.ts';
export { LatencyRecorder, type LatencySummary, median, runLoad } from './latency.ts';
export { quantile, readBuckets, subtract, total } from './prom-histogram.ts';
