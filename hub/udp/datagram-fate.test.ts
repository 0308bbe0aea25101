import { describe, expect, it } from 'vitest';
import { type ActiveToxic, activateToxic, decideFate, newFlowState } from './datagram-fate.ts';
import { parseUdpToxic } from './toxic-spec.ts';

function toxic(body: object, seed = 42, proxy = 'link'): ActiveToxic {
  return activateToxic(parseUdpToxic(body), seed, proxy, 0);
}

function lossPattern(seed: number, count: number, body: object): boolean[] {
  const chain = [toxic(body, seed)];
  const flow = newFlowState();
  return Array.from({ length: count }, (_, i) => decideFate(chain, flow, 100, i).drop === 'loss');
}

describe('decideFate', () => {
  it('delivers at once when no toxic is active', () => {
    const fate = decideFate([], newFlowState(), 100, 5);
    expect(fate).toMatchObject({ drop: null, copies: 0, dueAt: 5, hold: false });
  });

  it('loss with toxicity 1 and default probability drops every datagram', () => {
    expect(lossPattern(1, 200, { type: 'loss' }).every(Boolean)).toBe(true);
  });

  it('toxicity 0 never applies the toxic', () => {
    expect(lossPattern(1, 200, { type: 'loss', toxicity: 0 }).some(Boolean)).toBe(false);
  });

  it('replays the same decisions for the same seed and differs for another seed', () => {
    const body = { type: 'loss', attributes: { probability: 0.3 } };
    const a = lossPattern(7, 500, body);
    expect(lossPattern(7, 500, body)).toEqual(a);
    expect(lossPattern(8, 500, body)).not.toEqual(a);
    const rate = a.filter(Boolean).length / a.length;
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.4);
  });

  it('names the random stream by link and toxic, so other links do not shift it', () => {
    const body = { type: 'loss', attributes: { probability: 0.5 } };
    const one = [toxic(body, 3, 'a')];
    const other = [toxic(body, 3, 'b')];
    const flow = newFlowState();
    const alone = Array.from({ length: 100 }, (_, i) => decideFate(one, flow, 10, i).drop);
    const oneAgain = [toxic(body, 3, 'a')];
    const interleaved = Array.from({ length: 100 }, (_, i) => {
      decideFate(other, flow, 10, i);
      return decideFate(oneAgain, flow, 10, i).drop;
    });
    expect(interleaved).toEqual(alone);
  });

  it('gilbert_elliott loss comes in bursts', () => {
    const pattern = lossPattern(11, 5000, {
      type: 'loss',
      attributes: { mode: 'gilbert_elliott', good_to_bad: 0.05, bad_to_good: 0.3 },
    });
    let longest = 0;
    let run = 0;
    for (const lost of pattern) {
      run = lost ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    const rate = pattern.filter(Boolean).length / pattern.length;
    // Stationary loss is p/(p+r) ≈ 0.14; independent loss at that rate almost never runs to 8.
    expect(rate).toBeGreaterThan(0.08);
    expect(rate).toBeLessThan(0.22);
    expect(longest).toBeGreaterThanOrEqual(8);
  });

  it('latency with jitter delays by latency ± jitter and keeps the flow in order', () => {
    const chain = [toxic({ type: 'latency', attributes: { latency: 50, jitter: 20 } })];
    const flow = newFlowState();
    let last = 0;
    for (let i = 0; i < 300; i++) {
      const fate = decideFate(chain, flow, 100, i);
      expect(fate.dueAt).toBeGreaterThanOrEqual(i + 30);
      expect(fate.dueAt).toBeGreaterThanOrEqual(last);
      last = fate.dueAt;
    }
  });

  it('bandwidth spaces datagrams by size / rate and tail-drops past the queue', () => {
    // 10 KB/s = 10 bytes per ms: a 1000-byte datagram takes 100 ms.
    const chain = [toxic({ type: 'bandwidth', attributes: { rate: 10, queue_bytes: 3000 } })];
    const flow = newFlowState();
    const fates = Array.from({ length: 5 }, () => decideFate(chain, flow, 1000, 0));
    expect(fates.map((f) => f.dueAt).slice(0, 3)).toEqual([100, 200, 300]);
    expect(fates.map((f) => f.drop)).toEqual([null, null, null, 'queue_full', 'queue_full']);
  });

  it('limit_data blackholes the flow once the byte limit is passed', () => {
    const chain = [toxic({ type: 'limit_data', attributes: { bytes: 250 } })];
    const flow = newFlowState();
    const drops = Array.from({ length: 5 }, (_, i) => decideFate(chain, flow, 100, i).drop);
    expect(drops).toEqual([null, null, 'limit_data', 'limit_data', 'limit_data']);
  });

  it('timeout drops everything and asks to close the session once its deadline passed', () => {
    const chain = [toxic({ type: 'timeout', attributes: { timeout: 100 } })];
    expect(decideFate(chain, newFlowState(), 10, 50)).toMatchObject({ drop: 'timeout', closeSession: false });
    expect(decideFate(chain, newFlowState(), 10, 150)).toMatchObject({ drop: 'timeout', closeSession: true });
  });

  it('duplicate adds copies and reorder asks to hold the datagram', () => {
    const chain = [
      toxic({ type: 'duplicate', attributes: { copies: 2 } }),
      toxic({ type: 'reorder', name: 'r', attributes: { delay: 25 } }),
    ];
    expect(decideFate(chain, newFlowState(), 10, 0)).toMatchObject({ copies: 2, hold: true, holdMaxMs: 25 });
  });
});
