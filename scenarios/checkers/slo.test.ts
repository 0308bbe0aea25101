/** Service levels over hand-written and seeded histories with their fault events. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../node/lib/index.ts';
import type { OpRecord } from './history.ts';
import type { RunEventLike } from './raft-safety.ts';
import { checkSlo, DEFAULT_SLO, faultWindows, mergeWindows, percentile } from './slo.ts';

let nextId = 0;
function op(
  transport: string,
  t: number,
  ms: number,
  type: 'ok' | 'fail' | 'info' = 'ok',
  error?: string,
): OpRecord[] {
  const id = nextId++;
  const base = { id, process: id, f: 'read', key: 'k', transport } as const;
  return [
    { ...base, type: 'invoke', time: t },
    { ...base, type, time: t + ms, ...(error && { error }) },
  ];
}

const fault = (t: number, what: string, node?: string): RunEventLike => ({
  t,
  kind: 'fault',
  op: { do: what, ...(node && { node }) },
  detail: { ms: 0 },
});
const heal = (t: number): RunEventLike => ({ t, kind: 'heal', op: { do: 'heal' }, detail: { ms: 0 } });

/**
 * A healthy service around one fault window [5000, 8000): ops every 20 ms on both transports,
 * answered in 5–40 ms outside the window, mostly failing inside it; the service is back 100 ms
 * after the heal. `bad` makes it break one level outside the window.
 */
function simulate(seed: number, bad?: 'errors' | 'slow' | 'no recovery'): OpRecord[] {
  const random = seededRandom(seed, 'slo');
  const out: OpRecord[] = [];
  for (let t = 0; t < 20_000; t += 20) {
    for (const transport of ['grpc', 'iroh']) {
      const inside = t >= 5000 && t < 8100;
      const broken =
        (bad === 'no recovery' && transport === 'iroh' && t >= 5000) ||
        (bad === 'errors' && t >= 14_000 && random() < 0.5);
      if (inside || broken) out.push(...op(transport, t, 2000, 'info', 'DEADLINE_EXCEEDED: deadline'));
      else if (bad === 'slow' && transport === 'grpc' && random() < 0.05) out.push(...op(transport, t, 9000));
      else out.push(...op(transport, t, 5 + Math.floor(random() * 35)));
    }
  }
  return out.sort((a, b) => a.time - b.time);
}
const EVENTS = [fault(5000, 'partition'), heal(8000)];

describe('service levels', () => {
  it('fault windows: link faults end at a heal, node faults when the node is back', () => {
    const events: RunEventLike[] = [
      fault(1000, 'latency'),
      fault(2000, 'kill', 'n2'),
      heal(3000),
      { t: 4000, kind: 'restart', op: { do: 'start', node: 'n2' }, detail: { node: 'n2', ms: 500 } },
      fault(9000, 'pause', 'n1'),
    ];
    expect(faultWindows(events, 10_000)).toEqual([
      { start: 1000, end: 3000, what: 'latency' },
      { start: 2000, end: 4000, what: 'kill n2' },
      { start: 9000, end: 10_000, what: 'pause n1' },
    ]);
    expect(mergeWindows(faultWindows(events, 10_000)).map((w) => [w.start, w.end])).toEqual([
      [1000, 4000],
      [9000, 10_000],
    ]);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
  });

  it('a rollout is a fault window for its whole length', () => {
    const rollout = { t: 9000, kind: 'rollout', op: { do: 'rollout' }, detail: { ms: 6000 } };
    expect(faultWindows([rollout], 10_000)).toEqual([{ start: 3000, end: 9000, what: 'rollout' }]);
  });

  it('a healthy service around its faults passes with the defaults', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = checkSlo(simulate(seed), EVENTS);
      expect(r.valid, r.explanation).toBe(true);
    }
  });

  it('definite rejections are answers, not errors', () => {
    const few = { ...DEFAULT_SLO, minOps: 1 };
    const h = [
      ...op('grpc', 0, 10, 'fail', 'FAILED_PRECONDITION: cas'),
      ...op('grpc', 20, 10, 'fail', 'NOT_FOUND: no vm'),
      ...op('grpc', 40, 10),
    ];
    expect(checkSlo(h, [], few).valid).toBe(true);
    const down = [
      ...op('grpc', 0, 10, 'fail', 'UNAVAILABLE: refused before proposing'),
      ...op('grpc', 20, 10),
    ];
    const r = checkSlo(down, [], few);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/grpc: error rate 50\.0% outside faults \(1\/2\) > 20\.0%/);
  });

  it('catches each generated breach, naming the transport and the level', () => {
    const cases: [Parameters<typeof simulate>[1], RegExp][] = [
      ['errors', /error rate .* outside faults/],
      ['slow', /grpc: p99 9000 ms outside faults > 5000 ms/],
      ['no recovery', /iroh: error rate/],
    ];
    for (const [bad, why] of cases)
      for (let seed = 1; seed <= 5; seed++) {
        const r = checkSlo(simulate(seed, bad), EVENTS);
        expect(r.valid, `${bad}, seed ${seed}`).toBe(false);
        expect(r.explanation).toMatch(why);
        expect(r.evidence).not.toEqual([]);
      }
  });

  it('a slow recovery after a heal breaks the recovery bound', () => {
    const h = [
      ...op('grpc', 0, 10),
      ...op('grpc', 1000, 2000, 'info'),
      ...op('grpc', 3000, 10),
      ...op('grpc', 40_000, 10),
    ];
    const r = checkSlo(h, [fault(500, 'partition'), heal(900)], { ...DEFAULT_SLO, recoveryMs: 1000 });
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/grpc: recovered 2110 ms after the heal at 900 ms > 1000 ms/);
  });

  it('a handful of ops outside faults is too few to judge (cold connections at the start of a run)', () => {
    // Five timeouts on cold connections before the first fault, then nothing but faults.
    const h = [0, 1, 2, 3, 4].flatMap((i) => op('iroh', i, 2000, 'info', 'DEADLINE_EXCEEDED: deadline'));
    const events = [fault(2100, 'partition'), heal(9000)];
    const r = checkSlo([...h, ...op('iroh', 9100, 10)], events);
    expect(r.valid, r.explanation).toBe(true);
    expect(r.explanation).toMatch(/iroh: 5 ops outside faults, too few to judge/);
    expect(checkSlo([...h, ...op('iroh', 9100, 10)], events, { ...DEFAULT_SLO, minOps: 5 }).valid).toBe(
      false,
    );
  });

  it('thresholds under faults are judged only when given', () => {
    const h = [...op('grpc', 0, 10), ...op('grpc', 1000, 900), ...op('grpc', 3000, 10)];
    const events = [fault(500, 'latency'), heal(2500)];
    expect(checkSlo(h, events).valid).toBe(true);
    const r = checkSlo(h, events, { ...DEFAULT_SLO, minOps: 1, underFaults: { p99Ms: 200 } });
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/grpc: p99 900 ms under faults > 200 ms/);
  });

  it('says when a transport had no op outside faults and was judged on its recoveries alone', () => {
    const h = [...op('grpc', 1000, 10), ...op('grpc', 2100, 10)];
    const r = checkSlo(h, [fault(500, 'partition'), heal(2000)]);
    expect(r.valid).toBe(true);
    expect(r.explanation).toBe(
      'grpc: 0 ops outside faults, too few to judge, recovered within 110 ms of each heal',
    );
  });

  it('every op under a fault and none after a heal: nothing outside faults to judge; no op at all: unknown', () => {
    const r = checkSlo(op('grpc', 100, 10), [fault(0, 'partition')]);
    expect(r.valid).toBe(true);
    expect(r.explanation).toMatch(
      /no level outside faults to judge \(under faults: grpc 0\.0% errors, p99 10 ms\)/,
    );
    // Levels under faults, when given, are still judged there.
    const tight = checkSlo(op('grpc', 100, 10), [fault(0, 'partition')], {
      ...DEFAULT_SLO,
      minOps: 1,
      underFaults: { p99Ms: 5 },
    });
    expect(tight.valid).toBe(false);
    expect(checkSlo([], []).valid).toBe('unknown');
  });
});
