/**
 * The read barrier every read RPC of the node passes before it answers from
 * local state (and the VM reconciler and task runner before they start
 * anything): a linearizable read point, applied here.
 *
 * On the leader, ReadIndex confirms its commit index with a heartbeat round to
 * a quorum; on a follower the Raft core asks the leader for that index. Either
 * way the barrier resolves once this node has applied up to the index, so what
 * it then reads reflects every write acknowledged before the read began. A
 * request lost with a leader that died, or refused while no leader is known,
 * is asked again (once per election timeout) until the deadline, then the read
 * fails UNAVAILABLE saying why. LOCAL skips the barrier: the node's applied
 * state as it stands, possibly stale.
 */
import { ReadConsistency } from '../gen/blixard_pb.js';
import type { ClusterState } from '../state/index.ts';
import { Code, RpcError } from '../transport/index.ts';
import type { RaftDriver } from './raft-driver.ts';

/** Resolves with the index this node has applied and may read at; rejects UNAVAILABLE. */
export type ReadBarrier = (consistency?: ReadConsistency, signal?: AbortSignal) => Promise<number>;

export interface ReadBarrierOptions {
  /** The whole barrier's budget (the node's proposal timeout). */
  timeoutMs: number;
  /** How long one ReadIndex request may go unanswered before it is asked again (an election timeout). */
  attemptMs: number;
  /** Pause before asking again after a refusal (no leader known): a Raft tick. */
  retryMs: number;
}

export function readBarrier(
  driver: Pick<RaftDriver, 'readIndex'>,
  state: Pick<ClusterState, 'applied'>,
  o: ReadBarrierOptions,
): ReadBarrier {
  return async (consistency = ReadConsistency.UNSPECIFIED, signal) => {
    if (consistency === ReadConsistency.LOCAL) return state.applied;
    if (consistency !== ReadConsistency.UNSPECIFIED && consistency !== ReadConsistency.LINEARIZABLE)
      throw new RpcError(
        Code.INVALID_ARGUMENT,
        `read consistency ${consistency} is not LINEARIZABLE or LOCAL`,
      );
    const deadline = Date.now() + o.timeoutMs;
    let last = '';
    while (!signal?.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        // The driver waits for the apply after the confirmation; bound that wait too.
        return await within(driver.readIndex(Math.min(left, o.attemptMs)), left, signal);
      } catch (err) {
        last = (err as Error).message;
      }
      if (signal?.aborted || deadline - Date.now() <= o.retryMs) break;
      await pause(o.retryMs, signal);
    }
    if (signal?.aborted) throw new RpcError(Code.CANCELLED, 'call cancelled');
    throw new RpcError(
      Code.UNAVAILABLE,
      `read not confirmed by the leader within ${o.timeoutMs} ms${last ? ` (${last})` : ''}; ask again, or read with consistency LOCAL`,
    );
  };
}

function within<T>(work: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new RpcError(Code.UNAVAILABLE, `this node did not apply up to the read index in ${ms} ms`)),
      ms,
    );
    const onAbort = () => reject(new RpcError(Code.CANCELLED, 'call cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
