import { describe, expect, it } from 'vitest';
import { LinkSpecError, parseLinkToxic } from './toxic-spec.ts';

function fieldOf(input: unknown, transports: ('tcp' | 'udp')[] = ['tcp', 'udp']): string {
  try {
    parseLinkToxic(input, transports);
  } catch (error) {
    if (error instanceof LinkSpecError) return error.field;
    throw error;
  }
  throw new Error('expected a LinkSpecError');
}

describe('parseLinkToxic', () => {
  it('fills defaults for a toxic on both transports', () => {
    expect(
      parseLinkToxic({ type: 'latency', attributes: { latency: 25, jitter: 5 } }, ['tcp', 'udp']),
    ).toEqual({
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 25, jitter: 5 },
    });
  });

  it('names the field at fault', () => {
    expect(fieldOf({ type: 'latency', attributes: { latency: -1 } })).toBe('attributes.latency');
    expect(fieldOf({ type: 'latency', toxicity: 3 })).toBe('toxicity');
    expect(fieldOf({ type: 'warp' })).toBe('type');
    expect(fieldOf({ type: 'latency', stream: 'both' })).toBe('stream');
    expect(fieldOf({ type: 'slicer', attributes: {} }, ['tcp'])).toBe('attributes.average_size');
  });

  it('refuses a toxic on a transport that does not have it', () => {
    expect(fieldOf({ type: 'loss' })).toBe('type');
    expect(() => parseLinkToxic({ type: 'loss' }, ['tcp', 'udp'])).toThrow(/only on udp, not on tcp/);
    expect(fieldOf({ type: 'slicer', attributes: { average_size: 10 } }, ['udp'])).toBe('type');
    expect(parseLinkToxic({ type: 'loss', attributes: { probability: 0.1 } }, ['udp']).type).toBe('loss');
  });
});
