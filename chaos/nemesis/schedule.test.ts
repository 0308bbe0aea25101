import { describe, expect, it } from 'vitest';
import { toxicsFor } from './link-faults.ts';
import { isFault } from './ops.ts';
import { generateSchedule, op, sortSchedule } from './schedule.ts';

const nodes = ['n1', 'n2', 'n3'];

describe('generateSchedule', () => {
  it('is a pure function of its seed', () => {
    const a = generateSchedule({ seed: 42, nodes, durationMs: 60_000, intensity: 0.5 });
    const b = generateSchedule({ seed: 42, nodes, durationMs: 60_000, intensity: 0.5 });
    const c = generateSchedule({ seed: 43, nodes, durationMs: 60_000, intensity: 0.5 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBeGreaterThan(4);
  });

  it('pairs every fault with its recovery inside the duration, in time order', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const s = generateSchedule({ seed, nodes, durationMs: 30_000, intensity: 0.7 });
      expect(sortSchedule(s)).toEqual(s);
      for (let i = 0; i < s.length; i += 2) {
        const fault = s[i];
        const recover = s[i + 1];
        expect(fault && isFault(fault.op)).toBe(true);
        expect(recover?.op.do).toMatch(/^(heal|start|resume)$/);
        if (fault?.op.do === 'kill') expect(recover?.op).toEqual({ do: 'start', node: fault.op.node });
        expect(recover?.at ?? Infinity).toBeLessThanOrEqual(30_000);
      }
    }
  });

  it('higher intensity puts more of the time under faults', () => {
    const share = (intensity: number) => {
      let total = 0;
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const s = generateSchedule({ seed, nodes, durationMs: 120_000, intensity });
        for (let i = 0; i < s.length; i += 2) total += (s[i + 1]?.at ?? 0) - (s[i]?.at ?? 0);
      }
      return total / (6 * 120_000);
    };
    expect(share(0.8)).toBeGreaterThan(share(0.2) * 2);
  });

  it('draws only the fault kinds and transport asked for', () => {
    const s = generateSchedule({
      seed: 7,
      nodes,
      durationMs: 60_000,
      intensity: 0.5,
      faults: ['partition', 'latency'],
      transport: 'udp',
    });
    for (const { op: o } of s) {
      expect(o.do).toMatch(/^(partition|latency|heal)$/);
      if (o.do === 'partition' || o.do === 'latency') expect(o.transport).toBe('udp');
    }
  });

  it('refuses a bad intensity', () => {
    expect(() => generateSchedule({ seed: 1, nodes, durationMs: 1000, intensity: 0 })).toThrow(/intensity/);
  });
});

describe('ops and toxics', () => {
  it('fills defaults and names bad fields', () => {
    expect(op({ do: 'latency', ms: 100 })).toEqual({
      do: 'latency',
      ms: 100,
      jitter: 0,
      links: 'all',
      transport: 'both',
    });
    expect(() => op({ do: 'latency', ms: -1 } as never)).toThrow(/ms/);
    expect(() => op({ do: 'partition', kind: 'triangle' } as never)).toThrow(/kind/);
  });

  it('turns latency into one downstream toxic for both transports, loss into UDP toxics both ways', () => {
    expect(toxicsFor(op({ do: 'latency', ms: 100, jitter: 5 }) as never)).toEqual([
      {
        name: 'nemesis_latency',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 100, jitter: 5 },
      },
    ]);
    expect(toxicsFor(op({ do: 'loss', probability: 0.2 }) as never).map((t) => t.stream)).toEqual([
      'upstream',
      'downstream',
    ]);
  });

  it('refuses a toxic that does not exist on the transport, or bad attributes', () => {
    expect(() =>
      toxicsFor(op({ do: 'toxic', toxic: { type: 'loss', attributes: { probability: 0.1 } } }) as never),
    ).toThrow(/type: 'loss' exists only on udp/);
    expect(() =>
      toxicsFor(op({ do: 'toxic', toxic: { type: 'latency', attributes: { latecy: 5 } } }) as never),
    ).toThrow(/attributes/);
  });
});
