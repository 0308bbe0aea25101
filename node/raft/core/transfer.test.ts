import { describe, expect, it } from 'vitest';
import { LockstepCluster, text } from '../sim/lockstep-cluster.ts';

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date voter at once (TimeoutNow)', () => {
    const c = LockstepCluster.withLeader('a');
    const term = c.core('a').currentTerm();
    expect(c.core('a').transferLeader('b').ok).toBe(true);
    c.settle();
    expect(c.leaders()).toEqual(['b']);
    expect(c.core('b').currentTerm()).toBe(term + 1);
    expect(c.sent.some((m) => m.type === 'timeout-now' && m.to === 'b')).toBe(true);
  });

  it('first brings a lagging target up to date', () => {
    const c = LockstepCluster.withLeader('a');
    c.isolate('c');
    c.core('a').propose(text('x'));
    c.settle();
    c.heal();
    c.core('a').transferLeader('c');
    c.settle();
    expect(c.leaders()).toEqual(['c']);
    expect(c.core('c').log.lastIndex()).toBeGreaterThanOrEqual(3);
  });

  it('refuses proposals while a transfer is in progress', () => {
    const c = LockstepCluster.withLeader('a');
    c.isolate('b');
    c.core('a').transferLeader('b');
    const result = c.core('a').propose(text('x'));
    expect(result.ok ? '' : result.reason).toBe('leadership transfer in progress');
  });

  it('gives up after an election timeout if the target does not respond', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b', 'c'], { electionTicks: 10 });
    c.isolate('b');
    c.core('a').transferLeader('b');
    c.advance('a', 10);
    expect(c.core('a').currentRole()).toBe('leader');
    expect(c.core('a').propose(text('x')).ok).toBe(true);
  });

  it('refuses a target that is not a voter', () => {
    const c = LockstepCluster.withLeader('a');
    expect(c.core('a').transferLeader('zz').ok).toBe(false);
  });
});
