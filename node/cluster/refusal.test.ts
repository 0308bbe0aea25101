/**
 * A node that cannot propose says so before anything happens: ProposeTask at a node that knows no
 * leader (one of two voters, the other never answers) is refused — UNAVAILABLE starting with
 * REFUSED — whether it would forward (hops 0) or was forwarded to (hops 1), while a proposal that
 * may yet commit says "outcome unknown" and is not a refusal.
 */
import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it } from 'vitest';
import { ProposeTaskRequestSchema, RegisterOp } from '../gen/blixard_pb.js';
import { type CallContext, RpcError } from '../transport/index.ts';
import type { RaftDriver } from './raft-driver.ts';
import { isRefusal, REFUSED } from './refusal.ts';
import { unheardNode } from './testing.ts';

const TICK_MS = 5;
const drivers: RaftDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
});

function twoVotersOneSilent() {
  // n2 never hears anything: no leader can be elected.
  const { driver, services } = unheardNode({
    voters: ['n1', 'n2'],
    tickMs: TICK_MS,
    electionTicks: 10,
    mode: 'grpc',
    proposalTimeoutMs: 200,
    read: { timeoutMs: 200, attemptMs: 50, retryMs: TICK_MS },
  });
  drivers.push(driver);
  driver.start();
  const ctx = { signal: new AbortController().signal, transport: 'grpc' } as CallContext;
  const propose = async (hops: number): Promise<unknown> => {
    const handler = services.blixard.proposeTask;
    if (!handler) throw new Error('no proposeTask handler');
    try {
      await handler(
        create(ProposeTaskRequestSchema, { key: 'k', op: RegisterOp.WRITE, value: 'v', hops }),
        ctx,
      );
    } catch (err) {
      return err;
    }
    throw new Error('the proposal was not refused');
  };
  return { driver, propose };
}

describe('refusals before proposing', () => {
  it('a node without a leader refuses a write, forwarded or not, and says it was refused', async () => {
    const { driver, propose } = twoVotersOneSilent();
    expect(driver.leaderId).toBe('');
    for (const hops of [0, 1]) {
      const err = await propose(hops);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).message.startsWith(REFUSED), (err as RpcError).message).toBe(true);
      expect(isRefusal(err)).toBe(true);
    }
  });

  it('an unknown outcome is not a refusal', () => {
    const unknown = new RpcError(14, 'leadership lost before the request completed; outcome unknown');
    expect(isRefusal(unknown)).toBe(false);
    expect(isRefusal(new Error(`${REFUSED}x`))).toBe(false);
  });
});
