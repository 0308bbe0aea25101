/**
 * Raft for the Blixard node: a pure consensus core, its wire codec and its durable storage.
 *
 * The core (RaftCore) does no I/O and reads no clock: the driver owns timers, storage and the
 * transport. It feeds the core
 *   - tick()                        every tick interval (electionTicks/heartbeatTicks count these),
 *   - step(decodeMessage(bytes))    for each SendRaftMessage received,
 *   - propose(data), proposeConfChange(change), readIndex(context), transferLeader(to)
 *                                   for client requests (refused with the leader's id on followers),
 * and after each of these runs drainReady(core, handlers), which calls, in this order:
 *   persist(ready)  -> storage.save(ready)            (durable before anything leaves the node)
 *   send(messages)  -> encodeMessage(m) to each m.to  (fire and forget; Raft retries on its own)
 *   restore(snap)   -> replace the state machine      (a snapshot from the leader)
 *   apply(entry)    -> apply committed entries        (conf entries: decodeConfChange(entry.data))
 *   readStates(rs)  -> serve a read once applied >= rs.index
 * The app compacts with storage.saveSnapshot(core.compact(stateMachineBytes)) after an advance.
 *
 * A proposal's fate: propose() returns {index, term}; it succeeded when the entry applied at
 * that index has that term, and failed if another term's entry is applied there (or the node
 * loses leadership and the caller times out). Proposals are refused on followers with the
 * leader's id, so the driver can redirect the client (or forward the call). readIndex works on
 * any node that knows a leader: a follower forwards it and gets a ReadState back; contexts must
 * be unique across the cluster (e.g. node id + counter), and a read that gets no ReadState
 * within the driver's deadline failed (lost message or leader change) and may be retried.
 *
 * Start a node with `new RaftCore({ id, random: seededRandom(seed) }, storage.load())`, after
 * restoring the state machine from that PersistedState's snapshot (committed entries after it
 * come out of the first Ready again: the state machine need not be durable itself). A fresh
 * data directory is first seeded with bootstrapState(voters) on the bootstrapping members, or
 * left empty (emptyState) on a node that will join: the leader adds it with
 * proposeConfChange({type: 'add-learner'}), it catches up (by snapshot), then
 * {type: 'promote-learner'} makes it a voter.
 *
 * Sketch:
 *   const storage = DiskStorage.open(join(dataDir, 'raft'));
 *   if (storage.lastIndex() === 0 && bootstrap) storage.save(bootstrapState(voters));
 *   const core = new RaftCore({ id, random: seededRandom(seed) }, storage.load());
 *   const handlers = { persist: (rd) => storage.save(rd), send: ..., restore: ..., apply: ..., readStates: ... };
 *   setInterval(() => { core.tick(); drainReady(core, handlers); }, 100);
 *   onRaftMessage((bytes) => { core.step(decodeMessage(bytes)); drainReady(core, handlers); });
 */
export { decodeMessage, encodeMessage, MESSAGE_CODEC_VERSION } from './codec/message-codec.ts';
export { confChangeOf, decodeConfChange, encodeConfChange } from './core/conf-change.ts';
export { drainReady, type ReadyHandlers } from './core/drain-ready.ts';
export type { RaftOptions } from './core/options.ts';
export {
  bootstrapState,
  emptyState,
  type ProposeResult,
  RaftCore,
  type RaftStatus,
  type RequestResult,
} from './core/raft-core.ts';
export {
  type ConfChange,
  type ConfChangeType,
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  MESSAGE_TYPES,
  type MessageType,
  NO_NODE,
  type NodeId,
  type PersistedState,
  type RaftMessage,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SnapshotMeta,
  type SoftState,
} from './core/types.ts';
export { DiskStorage, type DiskStorageOptions } from './storage/disk-storage.ts';
export { MemoryStorage } from './storage/memory-storage.ts';
export type { RaftStorage, StorageUpdate } from './storage/raft-storage.ts';
