/**
 * Writes go to the leader: a follower forwards the same request there, and
 * without a known leader the answer is UNAVAILABLE, never a stale success.
 */
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { Code, createClient, RpcError, type TypedClient } from '../transport/index.ts';
import type { AddressBook } from './address-book.ts';
import type { RaftDriver } from './raft-driver.ts';

export function leaderClient<S extends GenService<GenServiceMethods>>(
  driver: RaftDriver,
  book: AddressBook,
  service: S,
): TypedClient<S> {
  const leader = driver.leaderId;
  if (!leader) throw new RpcError(Code.UNAVAILABLE, 'no leader known (election in progress or no quorum)');
  const channel = book.channel(leader);
  if (!channel)
    throw new RpcError(Code.UNAVAILABLE, `leader is ${leader}, whose address this node does not know`);
  return createClient(service, channel);
}
