/**
 * Writes go to the leader: a follower forwards the same request there, and
 * without a known leader the answer is UNAVAILABLE, never a stale success: a refusal
 * (refusal.ts), since nothing was proposed.
 */
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { createClient, type TypedClient } from '../transport/index.ts';
import type { AddressBook } from './address-book.ts';
import type { RaftDriver } from './raft-driver.ts';
import { refusal } from './refusal.ts';

export function leaderClient<S extends GenService<GenServiceMethods>>(
  driver: Pick<RaftDriver, 'leaderId'>,
  book: Pick<AddressBook, 'channel'>,
  service: S,
): TypedClient<S> {
  const leader = driver.leaderId;
  if (!leader) throw refusal('no leader known (election in progress or no quorum)');
  const channel = book.channel(leader);
  if (!channel) throw refusal(`leader is ${leader}, whose address this node does not know`);
  return createClient(service, channel);
}
