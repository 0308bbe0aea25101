import { describe, expect, it } from 'vitest';
import { TriggerSchema, TriggerWatch } from './trigger.ts';

const writesOpen = TriggerSchema.parse({ on: 'writes-open', min: 2 });
const vote = TriggerSchema.parse({ on: 'vote' });

const raft = (t: number, node: string, term: number, votedFor: string, ok = true) => ({
  kind: 'raft',
  t,
  node,
  ok,
  raft: { term, votedFor, role: 'follower' },
});

describe('TriggerWatch', () => {
  it('counts writes invoked and not completed; reads do not count', () => {
    const w = new TriggerWatch();
    w.observeOp({ id: 1, type: 'invoke', f: 'write' });
    w.observeOp({ id: 2, type: 'invoke', f: 'read' });
    expect(w.check(writesOpen, 0)).toEqual({ met: false, seen: '1 write(s) open' });
    w.observeOp({ id: 3, type: 'invoke', f: 'set-add' });
    expect(w.check(writesOpen, 0).met).toBe(true);
    // An op of unknown outcome is closed in the history too: it no longer counts as open.
    w.observeOp({ id: 3, type: 'info', f: 'set-add' });
    w.observeOp({ id: 2, type: 'ok', f: 'read' });
    expect(w.writesOpen).toBe(1);
  });

  it('sees a vote granted to another node in a new term, after the given time only', () => {
    const w = new TriggerWatch();
    w.observeSample(raft(0, 'n2', 3, 'n1'));
    w.observeSample(raft(100, 'n3', 3, 'n1'));
    // Same term again: nothing new.
    w.observeSample(raft(350, 'n2', 3, 'n1'));
    expect(w.check(vote, 0).met).toBe(false);
    // n3 reached term 4 with no vote (it heard the new leader's append): not a vote.
    w.observeSample(raft(600, 'n3', 4, ''));
    // n1 voted for itself (a candidate): not a vote for another.
    w.observeSample(raft(610, 'n1', 4, 'n1'));
    expect(w.check(vote, 0).met).toBe(false);
    w.observeSample(raft(620, 'n2', 4, 'n1'));
    expect(w.check(vote, 0)).toEqual({ met: true, node: 'n2', seen: 'n2 voted for n1 in term 4' });
    expect(w.check(vote, 700).met).toBe(false);
  });

  it('ignores silent nodes and other samples', () => {
    const w = new TriggerWatch();
    w.observeSample(raft(0, 'n2', 3, 'n1'));
    w.observeSample({ kind: 'raft', t: 10, node: 'n2', ok: false });
    w.observeSample({ kind: 'guests', t: 20, node: 'n2', ok: true });
    w.observeSample(raft(30, 'n2', 5, 'n3', false));
    expect(w.check(vote, 0)).toEqual({ met: false, seen: 'no vote in a new term (terms n2@3)' });
  });

  it('names a bad trigger field', () => {
    expect(TriggerSchema.safeParse({ on: 'writes-open', min: 0 }).error?.issues[0]?.path).toEqual(['min']);
    expect(TriggerSchema.safeParse({ on: 'writes-open', within: 'soon' }).error?.issues[0]?.message).toMatch(
      /'soon' is not a duration/,
    );
  });
});
