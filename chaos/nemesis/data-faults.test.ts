import { describe, expect, it } from 'vitest';
import { WipeDataOpSchema, wipeTargets } from './data-faults.ts';

describe('wipe-data', () => {
  it('a majority is the first ⌊n/2⌋+1 nodes in id order', () => {
    const op = WipeDataOpSchema.parse({ do: 'wipe-data' });
    expect(wipeTargets(op, ['n3', 'n1', 'n2'])).toEqual(['n1', 'n2']);
    expect(wipeTargets(op, ['n1', 'n2', 'n3', 'n4', 'n5'])).toEqual(['n1', 'n2', 'n3']);
    expect(wipeTargets(op, ['n10', 'n2', 'n1'])).toEqual(['n1', 'n2']);
  });

  it('named nodes are wiped as named', () => {
    expect(
      wipeTargets(WipeDataOpSchema.parse({ do: 'wipe-data', nodes: ['n3'] }), ['n1', 'n2', 'n3']),
    ).toEqual(['n3']);
  });

  it('refuses what is not a node id', () => {
    expect(WipeDataOpSchema.safeParse({ do: 'wipe-data', nodes: ['x'] }).success).toBe(false);
    expect(WipeDataOpSchema.safeParse({ do: 'wipe-data', nodes: [] }).success).toBe(false);
  });
});
