import { describe, expect, it } from 'vitest';
import { seededRandom } from '../lib/index.ts';
import * as adaptive from './adaptive-raft.ts';

const THRESHOLD = 10;

/** Feeds readings one second apart; returns the final state and every switch with its time. */
function feed(
  readings: readonly adaptive.AdaptiveReading[],
  start: adaptive.AdaptiveRaftState = adaptive.initialAdaptiveRaft(),
) {
  let state = start;
  const switches: (adaptive.AdaptiveSwitch & { at: number })[] = [];
  readings.forEach((r, i) => {
    const next = adaptive.nextAdaptiveRaft(state, r, THRESHOLD, i * 1000);
    state = next.state;
    if (next.switched) switches.push({ ...next.switched, at: i * 1000 });
  });
  return { state, switches };
}

const ms = (latencyMs: number): adaptive.AdaptiveReading => ({ latencyMs });

describe('adaptive Raft transport', () => {
  it('starts on gRPC and moves to Iroh after enough readings under the entry band', () => {
    const { state, switches } = feed([ms(2), ms(2), ms(2)]);
    expect(state.transport).toBe('iroh');
    expect(switches).toEqual([
      { from: 'grpc', to: 'iroh', reason: 'Iroh latency 2 ms under 8 ms for 3 readings', at: 2000 },
    ]);
  });

  it('does not enter on readings between the entry band and the threshold, nor after a gap', () => {
    expect(feed([ms(9), ms(9), ms(9), ms(9)]).state.transport).toBe('grpc');
    expect(feed([ms(2), ms(2), ms(30), ms(2), ms(2)]).state.transport).toBe('grpc');
    expect(feed([ms(2), ms(2), { failed: 'no RTT' }, ms(2), ms(2)]).state.transport).toBe('grpc');
  });

  it('leaves Iroh at once on a failed call, dwell or not', () => {
    const onIroh: adaptive.AdaptiveRaftState = { transport: 'iroh', switchedAt: 0, streak: 0 };
    const next = adaptive.nextAdaptiveRaft(
      onIroh,
      { failed: 'UNAVAILABLE: connection lost' },
      THRESHOLD,
      100,
    );
    expect(next.state.transport).toBe('grpc');
    expect(next.switched?.reason).toBe('Iroh failed: UNAVAILABLE: connection lost');
  });

  it('leaves Iroh only after consecutive readings over the threshold and after the dwell', () => {
    const onIroh: adaptive.AdaptiveRaftState = { transport: 'iroh', switchedAt: 0, streak: 0 };
    // One slow reading is noise.
    expect(feed([ms(2), ms(50), ms(2), ms(50), ms(2), ms(50), ms(2)], onIroh).state.transport).toBe('iroh');
    // Slow from the first second: the dwell holds it until 5 s, then it goes.
    const slow = feed([ms(50), ms(50), ms(50), ms(50), ms(50), ms(50)], onIroh);
    expect(slow.switches).toEqual([
      { from: 'iroh', to: 'grpc', reason: 'Iroh latency 50 ms over 10 ms for 6 readings', at: 5000 },
    ]);
  });

  it('switches at most once per dwell under latency hovering around the threshold (seeded)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed, 'adaptive-raft');
      const readings = Array.from({ length: 600 }, () => ms(THRESHOLD * (0.5 + random())));
      const { switches } = feed(readings);
      for (let i = 1; i < switches.length; i++) {
        const gap = (switches[i]?.at ?? 0) - (switches[i - 1]?.at ?? 0);
        expect(gap).toBeGreaterThanOrEqual(adaptive.ADAPTIVE_RAFT_TUNING.minDwellMs);
      }
      // Every switch alternates and says why.
      switches.forEach((s, i) => {
        expect(s.to).toBe(i % 2 === 0 ? 'iroh' : 'grpc');
        expect(s.reason).toMatch(/^Iroh latency [\d.]+ ms (under|over) [\d.]+ ms for \d+ readings$/);
      });
    }
  });
});
