/** Consensus in the node: the Raft driver and its peer outboxes, the consensus RPCs, the leader client, the read barrier and name rules. */
export { AddressBook } from './address-book.ts';
export { leaderClient } from './leader-client.ts';
export { checkImageRef, checkName } from './names.ts';
export { PeerOutbox } from './peer-outbox.ts';
export { notLeader, RaftDriver } from './raft-driver.ts';
export { raftServices } from './raft-services.ts';
export { type ReadBarrier, readBarrier } from './read-barrier.ts';
export { isRefusal, REFUSED, refusal } from './refusal.ts';
