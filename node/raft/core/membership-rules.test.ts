import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange } from './conf-change.ts';
import { Membership } from './membership.ts';

describe('Membership', () => {
  it('counts quorums over voters only', () => {
    const m = new Membership({ voters: ['a', 'b', 'c', 'd'], learners: ['e'] });
    expect(m.quorum()).toBe(3);
    expect(m.hasQuorum(new Set(['a', 'b', 'e']))).toBe(false);
    expect(m.hasQuorum(new Set(['a', 'b', 'c']))).toBe(true);
  });

  it('commits the highest index a majority of voters holds', () => {
    const m = new Membership({ voters: ['a', 'b', 'c'], learners: ['l'] });
    const match: Record<string, number> = { a: 9, b: 5, c: 2, l: 100 };
    expect(m.committedIndex((id) => match[id] ?? 0)).toBe(5);
  });

  it('validates changes against the current membership', () => {
    const m = new Membership({ voters: ['a'], learners: ['l'] });
    expect(m.validate({ type: 'add-learner', nodeId: 'a' })).toMatch(/already a member/);
    expect(m.validate({ type: 'promote-learner', nodeId: 'a' })).toMatch(/not a learner/);
    expect(m.validate({ type: 'remove-node', nodeId: 'x' })).toMatch(/not a member/);
    expect(m.validate({ type: 'remove-node', nodeId: 'a' })).toMatch(/last voter/);
    expect(m.validate({ type: 'promote-learner', nodeId: 'l' })).toBeUndefined();
    m.apply({ type: 'promote-learner', nodeId: 'l' });
    expect(m.toConfState()).toEqual({ voters: ['a', 'l'], learners: [] });
  });
});

describe('conf change codec', () => {
  it('round-trips and rejects unknown types and empty ids', () => {
    const change = { type: 'promote-learner' as const, nodeId: 'nöde-7' };
    expect(decodeConfChange(encodeConfChange(change))).toEqual(change);
    expect(() => decodeConfChange(new Uint8Array([9, 65]))).toThrow(/unknown change type 9/);
    expect(() => decodeConfChange(new Uint8Array([1]))).toThrow(/empty node id/);
  });
});
