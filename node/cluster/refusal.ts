/**
 * A refusal: a request the node turned away before proposing anything (no leader known, a leader
 * whose address it does not know, a forwarded request that reached a non-leader, a Raft core that
 * would not take the proposal). UNAVAILABLE like an unknown outcome, but its message starts with
 * REFUSED, so a client can tell "certainly did not happen" from "may have happened"
 * ("...; outcome unknown").
 */
import { Code, RpcError } from '../transport/index.ts';

export const REFUSED = 'refused before proposing: ';

export function refusal(reason: string): RpcError {
  return new RpcError(Code.UNAVAILABLE, `${REFUSED}${reason}`);
}

/** Whether an error is a node's refusal (UNAVAILABLE whose message starts with REFUSED). */
export function isRefusal(err: unknown): boolean {
  return err instanceof RpcError && err.code === Code.UNAVAILABLE && err.message.startsWith(REFUSED);
}
