/**
 * An open-model load generator: requests are sent at a constant arrival rate whatever the server
 * does, and each latency is measured from the request's intended send time — so a server that
 * stalls cannot hide its latency by slowing the client (no coordinated omission). Bounded in count,
 * time and requests in flight; it stops by itself.
 */
import * as hdr from 'hdr-histogram-js';
import { sleep, within } from '../../node/lib/index.ts';
import { dueAtMs, latencyFrom, nextStep } from './arrivals.ts';

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
  /**
   * How early to wake before a request is due (default TIMER_SLACK_MS); 0 wakes at the due time
   * and leaves every late timer in the latency (bench/load measures the difference).
   */
  slackMs?: number;
  /** Told of every answered request as it ends (for live metrics); `kind` is undefined when it succeeded. */
  observe?: (outcome: { index: number; kind: string | undefined; latencyMs: number }) => void;
}

/** One second of a run, by the second its requests ended in (for the report's time series). */
export interface LoadWindow {
  /** Seconds since the start. */
  second: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
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
  /**
   * How late the generator sent requests after their intended time (0 when on time or early): when
   * this is near zero the two latencies above agree; when it is not, the generator was behind.
   */
  lagMs: Percentiles;
  /** Per second of the run: answers and latency (from the intended send time). */
  timeline: LoadWindow[];
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
  const lag = build();
  const windows = new Map<number, { ok: number; errors: number; h: hdr.Histogram }>();
  const micros = (ms: number) => Math.max(1, Math.round(ms * 1000));
  const total = Math.max(1, Math.floor((o.rate * o.durationMs) / 1000));
  const maxInFlight = o.maxInFlight ?? 10_000;
  const errorsByKind: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  let shed = 0;
  let inFlight = 0;
  const countError = (kind: string) => {
    errors++;
    errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
  };
  /** Requests in flight, by their intended send time. */
  const pending = new Map<Promise<void>, number>();
  let drained = false;
  const started = performance.now();
  const end = (index: number, intended: number, sentAt: number, kind: string | undefined) => {
    inFlight--;
    const now = performance.now();
    const latency = latencyFrom(intended, sentAt, now);
    histogram.recordValue(micros(latency));
    service.recordValue(micros(now - sentAt));
    const second = Math.floor((now - started) / 1000);
    let w = windows.get(second);
    if (!w) {
      w = { ok: 0, errors: 0, h: build() };
      windows.set(second, w);
    }
    w.h.recordValue(micros(latency));
    if (kind === undefined) {
      ok++;
      w.ok++;
    } else {
      countError(kind);
      w.errors++;
    }
    o.observe?.({ index, kind, latencyMs: latency });
  };
  for (let i = 0; i < total; ) {
    const step = nextStep(performance.now() - started, i, total, o.rate, o.slackMs);
    if ('sleepMs' in step) {
      await sleep(step.sleepMs);
      continue;
    }
    for (const last = i + step.send; i < last; i++) {
      const index = i;
      const intended = started + dueAtMs(index, o.rate);
      if (inFlight >= maxInFlight) {
        shed++;
        countError('SHED');
        continue;
      }
      inFlight++;
      const sentAt = performance.now();
      lag.recordValue(micros(Math.max(0, sentAt - intended)));
      const p: Promise<void> = o.send(index).then(
        () => {
          if (drained) return; // already counted as unanswered
          pending.delete(p);
          end(index, intended, sentAt, undefined);
        },
        (err: unknown) => {
          if (drained) return;
          pending.delete(p);
          end(index, intended, sentAt, o.classify?.(err) ?? 'ERROR');
        },
      );
      pending.set(p, intended);
    }
  }
  await within(Promise.all(pending.keys()), o.drainMs ?? 10_000, undefined);
  drained = true;
  for (const intended of pending.values()) {
    countError('UNANSWERED');
    histogram.recordValue(micros(performance.now() - intended));
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
    lagMs: percentiles(lag),
    timeline: [...windows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([second, w]) => ({
        second,
        ok: w.ok,
        errors: w.errors,
        p50: w.h.getValueAtPercentile(50) / 1000,
        p99: w.h.getValueAtPercentile(99) / 1000,
      })),
    achievedRate: ((ok + errors - shed) * 1000) / elapsed,
    histogram,
  };
}
