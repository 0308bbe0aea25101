import { describe, expect, it } from 'vitest';
import { LockstepCluster, text } from '../sim/lockstep-cluster.ts';

/** Adds `id` as a learner on `leader` and lets the change commit and apply. */
function addLearner(c: LockstepCluster, leader: string, id: string): void {
  expect(c.core(leader).proposeConfChange({ type: 'add-learner', nodeId: id }).ok).toBe(true);
  c.settle();
  c.tick(leader, 2);
  c.settle();
}

describe('learners that never answer', () => {
  it('a single-node leader refuses to promote a learner it has never reached, and keeps committing', () => {
    const c = LockstepCluster.withLeader('a', ['a']);
    addLearner(c, 'a', 'ghost'); // no core: everything sent to it is lost
    expect(c.core('a').confState()).toEqual({ voters: ['a'], learners: ['ghost'] });
    const refused = c.core('a').proposeConfChange({ type: 'promote-learner', nodeId: 'ghost' });
    expect(refused.ok ? 'promotion accepted' : refused.reason).toMatch(/has not caught up/);
    // Well past check-quorum's election timeout: still the leader, still committing.
    c.tick('a', 50);
    c.settle();
    expect(c.core('a').currentRole()).toBe('leader');
    expect(c.core('a').propose(text('after')).ok).toBe(true);
    c.settle();
    expect(c.appliedData('a')).toEqual(['after']);
  });

  it('a three-node leader refuses to promote a learner it has never reached', () => {
    const c = LockstepCluster.withLeader('a');
    addLearner(c, 'a', 'ghost');
    const refused = c.core('a').proposeConfChange({ type: 'promote-learner', nodeId: 'ghost' });
    expect(refused.ok ? 'promotion accepted' : refused.reason).toMatch(/has not caught up/);
    expect(c.core('a').confState().voters).toEqual(['a', 'b', 'c']);
  });

  it('promotes only once the learner acknowledged the commit index of its join', () => {
    const c = LockstepCluster.withLeader('a');
    c.addBlank('d');
    c.isolate('d');
    addLearner(c, 'a', 'd');
    const joinCommit = c.core('a').status().commit;
    expect(c.core('a').proposeConfChange({ type: 'promote-learner', nodeId: 'd' }).ok).toBe(false);
    c.heal();
    c.tick('a', 2);
    c.settle();
    expect(c.core('a').status().matchIndex.d).toBeGreaterThanOrEqual(joinCommit);
    expect(c.core('a').proposeConfChange({ type: 'promote-learner', nodeId: 'd' }).ok).toBe(true);
  });

  it('a new leader measures a learner afresh before promoting it', () => {
    const c = LockstepCluster.withLeader('a');
    addLearner(c, 'a', 'ghost');
    c.elect('b');
    c.tick('b', 2);
    c.settle();
    const refused = c.core('b').proposeConfChange({ type: 'promote-learner', nodeId: 'ghost' });
    expect(refused.ok ? 'promotion accepted' : refused.reason).toMatch(/has not caught up/);
  });

  it('removes an unreachable learner from a single-node cluster', () => {
    const c = LockstepCluster.withLeader('a', ['a']);
    addLearner(c, 'a', 'ghost');
    expect(c.core('a').proposeConfChange({ type: 'remove-node', nodeId: 'ghost' }).ok).toBe(true);
    c.settle();
    c.tick('a', 2);
    c.settle();
    expect(c.core('a').confState()).toEqual({ voters: ['a'], learners: [] });
  });

  it('reports as reachable only members the leader has heard from within an election timeout', () => {
    const c = LockstepCluster.withLeader('a');
    addLearner(c, 'a', 'ghost');
    c.tick('a', 2);
    c.settle();
    expect(c.core('a').status().reachable).toEqual({ a: true, b: true, c: true, ghost: false });
    c.isolate('c');
    c.advance('a', 12);
    expect(c.core('a').status().reachable).toEqual({ a: true, b: true, c: false, ghost: false });
  });
});

describe('raft status', () => {
  it('gives the term of the last log entry', () => {
    const c = LockstepCluster.withLeader('a');
    c.elect('b');
    c.core('b').propose(text('x'));
    c.settle();
    const s = c.core('b').status();
    expect(s.term).toBeGreaterThan(1);
    expect(s.lastTerm).toBe(s.term);
    expect(c.core('a').status().lastTerm).toBe(s.term);
  });
});
