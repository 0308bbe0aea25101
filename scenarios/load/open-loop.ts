/**
 * An open-model load generator: requests are sent at a constant arrival rate whatever the server
 * does, and each latency is measured from the request's intended send time — so a server that
 * stalls cannot hide its latency by slowing the client (no coordinated omission). Bounded in count,
 * time and requests in flight; it stops by itself.
 */
import * as hdr from 'hdr-histogram-js';
import { sleep, within } from '../../node/lib/index.ts';

export interface OpenLoopOptions {
  /** Requests per second. */
  rate: number;
  durationMs: number;
  /** Requests in flight at most; one that would exceed it is not sent and counts as an error. */
  maxInFlight?: number;
  /** How long to wait for answers after the last send (default 10 s); unanswered ones are errors. */
  drainMs?: number;
  /** One request; it resolves when answered, rejects on any failure (a status counts as an error). */
  send: (index: number) => Promise<unknown>;
  /** What a failure was, for the breakdown of errors (e.g. a status code name). */
  classify?: (err: unknown) => string;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface OpenLoopResult {
  rate: number;
  durationMs: number;
  /** Requests due over the run (rate × duration). */
  sent: number;
  ok: number;
  errors: number;
  /** Requests due but not sent because too many were in flight (counted in `sent` and `errors`). */
  shed: number;
  errorsByKind: Record<string, number>;
  /** Latency percentiles in ms, from the intended send time (what a user waiting on the schedule sees). */
  latencyMs: Percentiles;
  /**
   * From the actual send: the server's and transport's part alone, as closed-loop tools (ghz) report
   * it. The gap to `latencyMs` is the generator's own lag plus queueing it did not hide.
   */
  serviceMs: Percentiles;
  /** Answers per second over the run. */
  achievedRate: number;
  histogram: hdr.Histogram;
}

export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  if (!(o.rate > 0)) throw new Error(`rate must be above 0 (got ${o.rate})`);
  const build = () =>
    hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
  const histogram = build();
  const service = build();
  const total = Math.max(1, Math.floor((o.rate * o.durationMs) / 1000));
  const maxInFlight = o.maxInFlight ?? 10_000;
  const errorsByKind: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  let shed = 0;
  let inFlight = 0;
  /** Requests in flight, by their intended send time. */
  const pending = new Map<Promise<void>, number>();
  let drained = false;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const intended = started + (i * 1000) / o.rate;
    const wait = intended - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight >= maxInFlight) {
      shed++;
      errors++;
      errorsByKind.SHED = (errorsByKind.SHED ?? 0) + 1;
      continue;
    }
    inFlight++;
    const sentAt = performance.now();
    const p = o
      .send(i)
      .then(
        () => {
          if (!drained) ok++;
        },
        (err: unknown) => {
          if (drained) return;
          errors++;
          const kind = o.classify?.(err) ?? 'ERROR';
          errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
        },
      )
      .finally(() => {
        if (drained) return; // already counted as unanswered
        inFlight--;
        const now = performance.now();
        histogram.recordValue(Math.max(1, Math.round((now - intended) * 1000)));
        service.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
        pending.delete(p);
      });
    pending.set(p, intended);
  }
  await within(Promise.all(pending.keys()), o.drainMs ?? 10_000, undefined);
  drained = true;
  for (const intended of pending.values()) {
    errors++;
    errorsByKind.UNANSWERED = (errorsByKind.UNANSWERED ?? 0) + 1;
    histogram.recordValue(Math.max(1, Math.round((performance.now() - intended) * 1000)));
  }
  const elapsed = performance.now() - started;
  const percentiles = (h: hdr.Histogram): Percentiles => {
    const at = (p: number) => h.getValueAtPercentile(p) / 1000;
    return {
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: h.maxValue / 1000,
      mean: h.mean / 1000,
    };
  };
  return {
    rate: o.rate,
    durationMs: o.durationMs,
    sent: total,
    ok,
    errors,
    shed,
    errorsByKind,
    latencyMs: percentiles(histogram),
    serviceMs: percentiles(service),
    achievedRate: ((ok + errors - shed) * 1000) / elapsed,
    histogram,
  };
}
