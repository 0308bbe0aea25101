import { describe, expect, it } from 'vitest';
import { seededRandom, sleep } from '../../node/lib/index.ts';
import { mixDrawer, parseMix } from './mix.ts';
import { runOpenLoop } from './open-loop.ts';
import { judge, parseSlo } from './slo.ts';

describe('SLO thresholds', () => {
  it('parse percentiles under durations and an error share', () => {
    expect(parseSlo('p99<50ms, errors<1%, p50<200us, p99.9<2s')).toEqual([
      { kind: 'latency', percentile: 99, belowMs: 50, text: 'p99<50ms' },
      { kind: 'errors', belowShare: 0.01, text: 'errors<1%' },
      { kind: 'latency', percentile: 50, belowMs: 0.2, text: 'p50<200us' },
      { kind: 'latency', percentile: 99.9, belowMs: 2000, text: 'p99.9<2s' },
    ]);
  });

  it('name what is wrong in a threshold', () => {
    expect(() => parseSlo('p99<fast')).toThrow(/--slo 'p99<fast': expected pNN<duration/);
    expect(() => parseSlo('p0<5ms')).toThrow(/percentile must be in/);
  });

  it('judge a run: a broken threshold is named with its value, a met one is not', () => {
    const figures = { sent: 1000, errors: 20, percentileMs: (p: number) => (p >= 99 ? 80 : 5) };
    expect(judge(parseSlo('p50<10ms'), figures)).toEqual([]);
    expect(judge(parseSlo('p99<50ms,errors<1%'), figures)).toEqual([
      { threshold: 'p99<50ms', value: 'p99 = 80.000 ms' },
      { threshold: 'errors<1%', value: 'errors = 2.00 % (20 of 1000)' },
    ]);
    expect(judge(parseSlo('errors<5%'), { ...figures, sent: 0 })).toEqual([
      { threshold: 'errors<5%', value: 'no request was sent' },
    ]);
  });
});

describe('RPC mix', () => {
  it('draws methods in proportion to their weights, the same for the same seed', () => {
    const mix = parseMix('ClusterService/HealthCheck=3, ClusterService/GetClusterStatus');
    const draw = (seed: number) => {
      const next = mixDrawer(mix, seededRandom(seed, 'mix'));
      return Array.from({ length: 4000 }, next);
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    const health = a.filter((m) => m === 'ClusterService/HealthCheck').length / a.length;
    expect(health).toBeGreaterThan(0.7);
    expect(health).toBeLessThan(0.8);
    expect(() => parseMix('HealthCheck')).toThrow(/expected <Service>\/<Method>/);
    expect(() => parseMix('ClusterService/HealthCheck=0')).toThrow(/whole number/);
  });
});

describe('the open-model generator', () => {
  it('keeps sending at its rate while the server stalls, and counts the queue behind the stall in the latency', async () => {
    // A server that answers one request at a time, and stalls 300 ms on request 10: every request
    // sent during the stall waits behind it. A closed-loop client would have waited too, sent fewer,
    // and recorded one slow request; measured from intended send times, many are slow.
    let queue: Promise<unknown> = Promise.resolve();
    const result = await runOpenLoop({
      rate: 200,
      durationMs: 1000,
      send: (i) => {
        const done = queue.then(() => (i === 10 ? sleep(300) : undefined));
        queue = done;
        return done;
      },
    });
    expect(result.sent).toBe(200);
    expect(result.ok).toBe(200);
    expect(result.latencyMs.p90).toBeGreaterThanOrEqual(50);
    // The stalled request itself waited its 300 ms (less a timer's and the histogram's rounding).
    expect(result.latencyMs.max).toBeGreaterThanOrEqual(290);
  });

  it('counts failures by kind, sheds past its in-flight bound, and stops with requests unanswered', async () => {
    // Every even request never answers, every odd one fails at once: the silent ones fill the
    // in-flight bound and everything after is shed. After the drain bound the run ends anyway,
    // counting the silent ones as unanswered.
    const result = await runOpenLoop({
      rate: 500,
      durationMs: 200,
      maxInFlight: 5,
      drainMs: 50,
      send: (i) => (i % 2 === 0 ? new Promise(() => {}) : Promise.reject(new Error('NOT_FOUND'))),
      classify: (err) => (err as Error).message,
    });
    expect(result.sent).toBe(100);
    expect(result.ok).toBe(0);
    expect(result.errors).toBe(100);
    const kinds = result.errorsByKind;
    expect((kinds.UNANSWERED ?? 0) + (kinds.NOT_FOUND ?? 0) + (kinds.SHED ?? 0)).toBe(100);
    expect(kinds.UNANSWERED).toBeGreaterThanOrEqual(1);
    expect(kinds.UNANSWERED).toBeLessThanOrEqual(5);
    expect(kinds.NOT_FOUND).toBeGreaterThanOrEqual(1);
    expect(result.shed).toBe(kinds.SHED);
    expect(result.shed).toBeGreaterThan(0);
  });
});
