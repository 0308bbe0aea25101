/** Latency recording for benchmarks: an HDR histogram in microseconds. */
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export class LatencyRecorder {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });

  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    return {
      count: this.histogram.totalCount,
      p50Ms: this.histogram.getValueAtPercentile(50) / 1000,
      p99Ms: this.histogram.getValueAtPercentile(99) / 1000,
      meanMs: this.histogram.mean / 1000,
    };
  }
}

/**
 * Runs `call` from `concurrency` workers until `count` calls are done or
 * `maxMs` has passed, whichever comes first; returns calls/s and latencies.
 */
export async function runLoad(
  call: () => Promise<unknown>,
  opts: { concurrency: number; count: number; maxMs: number },
): Promise<LatencySummary & { perSecond: number; errors: number }> {
  const recorder = new LatencyRecorder();
  let started = 0;
  let errors = 0;
  const began = performance.now();
  const stopAt = began + opts.maxMs;
  const worker = async () => {
    while (started < opts.count && performance.now() < stopAt) {
      started += 1;
      const t = performance.now();
      try {
        await call();
        recorder.record(performance.now() - t);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - began) / 1000;
  const summary = recorder.summary();
  return { ...summary, perSecond: summary.count / seconds, errors };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
