import type { Random } from '../../lib/index.ts';
import type { NodeId } from './types.ts';

export interface RaftOptions {
  readonly id: NodeId;
  /** Seeded randomness for election timeouts; the core has no other source. */
  readonly random: Random;
  /** Base election timeout in ticks; each election waits a random [electionTicks, 2*electionTicks). */
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Ask for votes without raising the term first, so a rejoining node cannot disrupt a healthy leader. */
  readonly preVote?: boolean;
  /** A leader that has not heard from a majority within an election timeout steps down. */
  readonly checkQuorum?: boolean;
  readonly maxEntriesPerAppend?: number;
  readonly maxBytesPerAppend?: number;
  /** Appends in flight per follower in the replicate state (pipelining depth). */
  readonly maxInflightAppends?: number;
  /** A learner is promoted only once its log is within this many entries of the leader's. */
  readonly learnerCatchUpMargin?: number;
}

export type ResolvedRaftOptions = Required<RaftOptions>;

export function resolveOptions(options: RaftOptions): ResolvedRaftOptions {
  const resolved: ResolvedRaftOptions = {
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
    maxEntriesPerAppend: 64,
    maxBytesPerAppend: 1024 * 1024,
    maxInflightAppends: 8,
    learnerCatchUpMargin: 64,
    ...options,
  };
  if (resolved.id === '') throw new Error('raft options: id must not be empty');
  if (!(resolved.heartbeatTicks >= 1)) throw new Error('raft options: heartbeatTicks must be >= 1');
  if (!(resolved.electionTicks > resolved.heartbeatTicks)) {
    throw new Error('raft options: electionTicks must be greater than heartbeatTicks');
  }
  if (!(resolved.maxEntriesPerAppend >= 1)) throw new Error('raft options: maxEntriesPerAppend must be >= 1');
  if (!(resolved.maxInflightAppends >= 1)) throw new Error('raft options: maxInflightAppends must be >= 1');
  return resolved;
}
