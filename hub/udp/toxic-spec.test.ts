import { describe, expect, it } from 'vitest';
import { mergeUdpToxicUpdate, parseUdpToxic, ToxicSpecError } from './toxic-spec.ts';

function fieldOf(body: unknown): string {
  try {
    parseUdpToxic(body);
  } catch (error) {
    if (error instanceof ToxicSpecError) return error.field;
    throw error;
  }
  throw new Error('expected a ToxicSpecError');
}

describe('parseUdpToxic', () => {
  it("fills Toxiproxy's defaults", () => {
    expect(parseUdpToxic({ type: 'latency', attributes: { latency: 10 } })).toEqual({
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 10, jitter: 0 },
    });
  });

  it('names the field at fault', () => {
    expect(fieldOf({ type: 'latency', attributes: { latency: -1 } })).toBe('attributes.latency');
    expect(fieldOf({ type: 'latency', toxicity: 1.5 })).toBe('toxicity');
    expect(fieldOf({ type: 'latency', stream: 'sideways' })).toBe('stream');
    expect(fieldOf({ type: 'nope' })).toBe('type');
    expect(fieldOf({ type: 'slicer' })).toBe('type');
    expect(fieldOf({})).toBe('type');
    expect(fieldOf({ type: 'latency', attributes: { latecy: 5 } })).toBe('attributes');
    expect(fieldOf({ type: 'loss', attributes: { probability: 2 } })).toBe('attributes.probability');
  });

  it('merges an update into the current toxic and validates the result', () => {
    const current = parseUdpToxic({ type: 'latency', attributes: { latency: 10, jitter: 2 } });
    expect(mergeUdpToxicUpdate(current, { attributes: { latency: 30 } }).attributes).toEqual({
      latency: 30,
      jitter: 2,
    });
    expect(mergeUdpToxicUpdate(current, { toxicity: 0.5 }).toxicity).toBe(0.5);
    expect(() => mergeUdpToxicUpdate(current, { attributes: { jitter: -3 } })).toThrow(/attributes.jitter/);
  });
});
