import { describe, expect, it } from 'vitest';
import { LockstepCluster, text } from '../sim/lockstep-cluster.ts';

function withLearner(): LockstepCluster {
  const c = LockstepCluster.withLeader('a');
  c.addBlank('d');
  expect(c.core('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' }).ok).toBe(true);
  c.settle();
  c.tick('a', 2);
  c.settle();
  return c;
}

describe('membership changes', () => {
  it('a joining node is added as a learner, catches up, then is promoted to voter', () => {
    const c = withLearner();
    expect(c.core('a').confState()).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(c.core('d').log.lastIndex()).toBe(c.core('a').log.lastIndex());
    expect(c.core('d').confState().learners).toEqual(['d']);
    expect(c.core('a').proposeConfChange({ type: 'promote-learner', nodeId: 'd' }).ok).toBe(true);
    c.settle();
    c.tick('a', 2);
    c.settle();
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(c.core(id).confState()).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
    }
  });

  it('a learner never campaigns and its votes do not count', () => {
    const c = withLearner();
    c.isolate('a');
    c.tick('d', 100);
    c.settle();
    expect(c.sent.some((m) => m.from === 'd' && (m.type === 'vote' || m.type === 'pre-vote'))).toBe(false);
    expect(c.core('d').currentRole()).toBe('follower');
    // b campaigns with c cut off: only the learner could answer, and that is not a majority.
    c.heal();
    c.isolate('a', 'c');
    c.advance('b', 60);
    expect(c.core('b').currentRole()).not.toBe('leader');
  });

  it('refuses to promote a learner that has not caught up', () => {
    const c = LockstepCluster.withLeader('a', ['a', 'b', 'c'], { learnerCatchUpMargin: 2 });
    c.addBlank('d');
    c.isolate('d');
    c.core('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' });
    c.settle();
    c.tick('a', 2);
    c.settle();
    for (let i = 0; i < 5; i++) c.core('a').propose(text(`e${i}`));
    c.settle();
    const refused = c.core('a').proposeConfChange({ type: 'promote-learner', nodeId: 'd' });
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.reason).toMatch(/not caught up/);
  });

  it('allows one change at a time', () => {
    const c = LockstepCluster.withLeader('a');
    c.isolate('b', 'c');
    expect(c.core('a').proposeConfChange({ type: 'add-learner', nodeId: 'd' }).ok).toBe(true);
    const second = c.core('a').proposeConfChange({ type: 'add-learner', nodeId: 'e' });
    expect(second.ok ? '' : second.reason).toMatch(/in progress/);
  });

  it('removes a follower: the rest keep committing with the smaller quorum', () => {
    const c = LockstepCluster.withLeader('a');
    expect(c.core('a').proposeConfChange({ type: 'remove-node', nodeId: 'c' }).ok).toBe(true);
    c.settle();
    c.tick('a', 2);
    c.settle();
    expect(c.core('a').confState().voters).toEqual(['a', 'b']);
    c.isolate('c');
    c.core('a').propose(text('after'));
    c.settle();
    c.tick('a', 2);
    c.settle();
    expect(c.appliedData('b')).toEqual(['after']);
  });

  it('a leader that removes itself steps down and another node takes over', () => {
    const c = LockstepCluster.withLeader('a');
    expect(c.core('a').proposeConfChange({ type: 'remove-node', nodeId: 'a' }).ok).toBe(true);
    c.settle();
    expect(c.core('a').currentRole()).toBe('follower');
    expect(c.core('a').confState().voters).toEqual(['b', 'c']);
    c.tick('a', 2);
    c.settle();
    c.elect('b');
    expect(c.leaders()).toEqual(['b']);
    expect(c.core('b').confState().voters).toEqual(['b', 'c']);
  });
});
