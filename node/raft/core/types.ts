/** Node ids are opaque strings (the cluster config names them). */
export type NodeId = string;

/** "No node": used for an empty vote and an unknown leader. */
export const NO_NODE: NodeId = '';

export type EntryType = 'normal' | 'conf';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must survive a crash besides the log: the current term, the vote in it, the commit index. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state the driver may show (status RPCs, metrics); never persisted. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
}

/** Membership: voters count toward quorums; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** The application's state at `meta.index`; it replaces every entry up to that index. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export type ConfChangeType = 'add-learner' | 'promote-learner' | 'remove-node';

/** One membership change; changes are applied one at a time when their entry is applied. */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

export const MESSAGE_TYPES = [
  'append',
  'append-response',
  'heartbeat',
  'heartbeat-response',
  'vote',
  'vote-response',
  'pre-vote',
  'pre-vote-response',
  'snapshot',
  'timeout-now',
  'read-index',
  'read-index-response',
] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];

/**
 * One Raft message. Flat (like etcd's raftpb.Message) so the codec is simple; the meaning of the
 * shared fields depends on the type:
 * - append: `index`/`logTerm` are the previous entry, `entries` follow it, `commit` is the leader's.
 * - append-response: `index` is the last index now matching (or the rejected previous index when
 *   `reject`); `rejectHint`/`logTerm` point the leader at where the logs may agree.
 * - vote / pre-vote: `index`/`logTerm` are the candidate's last entry; `context` is 'transfer'
 *   when a leadership transfer forces the election.
 * - heartbeat: `commit` is min(leader commit, follower match); `context` carries a ReadIndex id.
 * - snapshot: `snapshot` is the leader's snapshot.
 * - read-index: a follower forwards a ReadIndex request (`context`) to its leader. It carries no
 *   term (0): like a client request, it is not part of the protocol's term logic.
 * - read-index-response: the leader confirmed the read: `index` is the read index.
 */
export interface RaftMessage {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly logTerm: number;
  readonly index: number;
  readonly commit: number;
  readonly entries: readonly Entry[];
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly context: string;
  readonly snapshot?: Snapshot;
}

/** A confirmed ReadIndex: once the state machine has applied `index`, a read tagged `context` is linearizable. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/**
 * Work for the driver, in this order: persist `snapshot`, `entries` and `hardState` (fsync), then
 * send `messages`, then restore `snapshot` into the state machine and apply `committedEntries`,
 * then call `advance()`.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  /** Entries to append to stable storage; an entry at an existing index replaces it and everything after. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: persist it (dropping the log it covers) and restore the state machine. */
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly RaftMessage[];
  readonly readStates: readonly ReadState[];
}

/** What stable storage hands back to a restarting core. */
export interface PersistedState {
  readonly hardState: HardState;
  readonly snapshot?: Snapshot;
  /** Entries after the snapshot, contiguous. */
  readonly entries: readonly Entry[];
}
