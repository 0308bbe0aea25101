import { describe, expect, it } from 'vitest';
import { checkAvailability } from './availability.ts';
import type { OpRecord } from './history.ts';

const op = (
  id: number,
  type: OpRecord['type'],
  workload?: string,
  error?: string,
): OpRecord & { workload?: string } => ({
  id,
  process: 0,
  type,
  f: workload ? 'vm-start' : 'write',
  key: 'k',
  time: id,
  ...(workload && { workload }),
  ...(error && { error }),
});

describe('availability against a budget', () => {
  it('counts failed and unknown register ops against it, and nothing else', () => {
    const history = [
      op(1, 'invoke'),
      op(1, 'ok'),
      op(2, 'ok'),
      op(3, 'fail', undefined, 'UNAVAILABLE: no leader'),
      op(4, 'info', undefined, 'DEADLINE_EXCEEDED: deadline exceeded'),
      op(5, 'fail', 'vm', 'FAILED_PRECONDITION: running'),
    ];
    const met = checkAvailability(history, 0.5);
    expect(met.valid).toBe(true);
    expect(met.explanation).toBe('2 of 4 register ops succeeded (50.0 %)');
    const missed = checkAvailability(history, 0.9);
    expect(missed.valid).toBe(false);
    expect(missed.evidence).toMatchObject({ notOk: { UNAVAILABLE: 1, DEADLINE_EXCEEDED: 1 } });
    expect(checkAvailability([op(5, 'fail', 'vm')], 0.9).valid).toBe('unknown');
  });
});
