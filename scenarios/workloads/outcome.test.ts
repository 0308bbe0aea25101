/**
 * How a workload classifies an error the node returns: an op the node refused before proposing
 * (no leader known, a leader it cannot reach by address, a Raft core that would not take the
 * proposal) certainly did not happen — `fail`; an op that may have been proposed is `info`.
 * The errors here are the node's own (leaderClient, the driver's refusal), not hand-written text.
 */
import { describe, expect, it } from 'vitest';
import { type AddressBook, leaderClient, notLeader, type RaftDriver } from '../../node/cluster/index.ts';
import { BlixardService, Code, RpcError } from '../../node/transport/index.ts';
import { classify, currentOfFailedCas } from './outcome.ts';

function refusalOf(leaderId: string): unknown {
  const driver = { leaderId } as unknown as RaftDriver;
  const book = { channel: () => undefined } as unknown as AddressBook;
  try {
    leaderClient(driver, book, BlixardService);
  } catch (err) {
    return err;
  }
  throw new Error('leaderClient did not refuse');
}

describe('outcome classification', () => {
  it('a write the node refused because no leader is known is fail, not info', () => {
    const err = refusalOf('');
    expect(err).toBeInstanceOf(RpcError);
    expect(classify('write', err)).toBe('fail');
    expect(classify('cas', err)).toBe('fail');
  });

  it("a write the node could not forward (the leader's address unknown) is fail", () => {
    expect(classify('write', refusalOf('n2'))).toBe('fail');
  });

  it('a proposal the Raft core refused (transfer in progress, not the leader) is fail', () => {
    expect(classify('write', notLeader('leadership transfer in progress', 'n1'))).toBe('fail');
    expect(classify('write', notLeader('not the leader', ''))).toBe('fail');
  });

  it('an op whose outcome is unknown stays info', () => {
    for (const message of [
      'leadership lost before the request completed; outcome unknown',
      'not committed within 2000 ms (no quorum?); outcome unknown',
      'connection closed: reset',
    ])
      expect(classify('write', new RpcError(Code.UNAVAILABLE, message))).toBe('info');
    expect(classify('write', new RpcError(Code.DEADLINE_EXCEEDED, 'deadline'))).toBe('info');
    // A refusal's marker text inside another message (e.g. a value echoed back) does not count.
    expect(classify('write', new RpcError(Code.UNAVAILABLE, 'x refused before proposing: y'))).toBe('info');
  });

  it('reads and definite rejections are fail', () => {
    expect(classify('read', new RpcError(Code.DEADLINE_EXCEEDED, 'deadline'))).toBe('fail');
    expect(classify('cas', new RpcError(Code.FAILED_PRECONDITION, "'k' is 'a', not 'b'"))).toBe('fail');
  });

  it("a failed CAS names the register's current value", () => {
    const err = new RpcError(Code.FAILED_PRECONDITION, "'r/k1' is '3.4', not '1.2'");
    expect(currentOfFailedCas('r/k1', '1.2', err)).toBe('3.4');
    expect(
      currentOfFailedCas('r/k1', '', new RpcError(Code.FAILED_PRECONDITION, "'r/k1' is '', not ''x")),
    ).toBe(undefined);
    expect(
      currentOfFailedCas('r/k1', '1.2', new RpcError(Code.UNAVAILABLE, "'r/k1' is '3.4', not '1.2'")),
    ).toBe(undefined);
  });
});
