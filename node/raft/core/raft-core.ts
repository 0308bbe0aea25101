import { randomInt } from '../../lib/index.ts';
import { confChangeOf, encodeConfChange } from './conf-change.ts';
import { Membership } from './membership.ts';
import { type RaftOptions, type ResolvedRaftOptions, resolveOptions } from './options.ts';
import { Progress } from './progress.ts';
import { RaftLog, type RaftLogView } from './raft-log.ts';
import { type ConfirmedRead, ReadOnlyQueue } from './read-only.ts';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type MessageType,
  NO_NODE,
  type NodeId,
  type PersistedState,
  type RaftMessage,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SoftState,
} from './types.ts';

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly reason: string; readonly leader: NodeId };

export type RequestResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly leader: NodeId };

type CampaignKind = 'pre-election' | 'election' | 'transfer';

/** Marks vote requests of a leadership transfer: they bypass the leader lease. */
const TRANSFER_CONTEXT = 'transfer';

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly role: Role;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** The term of the last log entry (the snapshot's when the log is empty). */
  readonly lastTerm: number;
  readonly confState: ConfState;
  /** Leader only: the match index of each member. */
  readonly matchIndex: Readonly<Record<NodeId, number>>;
  /**
   * Leader only: whether each member answered within the last election timeout (itself: true). A
   * member never heard from is not reachable.
   */
  readonly reachable: Readonly<Record<NodeId, boolean>>;
}

/** What a Ready handed out, so that advance() acknowledges exactly that. */
interface HandedOut {
  readonly lastEntry?: { readonly index: number; readonly term: number };
  readonly snapshot?: Snapshot;
  readonly committed: readonly Entry[];
  readonly hardState?: HardState;
  readonly softState?: SoftState;
}

/**
 * A pure Raft state machine (no I/O, no clock, no ambient randomness). The driver feeds it ticks,
 * messages and client requests, and drains its output with ready()/advance().
 */
export class RaftCore {
  readonly id: NodeId;
  private readonly options: ResolvedRaftOptions;
  private term: number;
  private vote: NodeId;
  private leader: NodeId = NO_NODE;
  private role: Role = 'follower';
  private readonly raftLog: RaftLog;
  private readonly membership: Membership;
  private progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  /** Ticks since start: when each peer was last heard from, for check-quorum. */
  private ticks = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: NodeId = NO_NODE;
  /** Index of the latest conf entry the leader appended; a new change waits until it is applied. */
  private pendingConfIndex = 0;
  /**
   * Leader only: the index each learner must have acknowledged before it may be promoted — the
   * commit index when it joined, or when this node became leader (a new leader measures afresh).
   */
  private readonly catchUpTargets = new Map<NodeId, number>();
  private readonly readOnly = new ReadOnlyQueue();
  /** ReadIndex requests that arrived before this leader committed an entry of its own term. */
  private readsAwaitingCommit: { context: string; requester: NodeId }[] = [];
  /** Ticks since each follower was sent a snapshot; it is re-sent if not acknowledged in time. */
  private readonly snapshotElapsed = new Map<NodeId, number>();
  private messages: RaftMessage[] = [];
  private readStates: ReadState[] = [];
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private handedOut: HandedOut | undefined;
  /** Membership after each conf entry applied since the snapshot, for snapshots at older indexes. */
  private confHistory: { index: number; confState: ConfState }[] = [];

  constructor(options: RaftOptions, persisted: PersistedState) {
    this.options = resolveOptions(options);
    this.id = this.options.id;
    this.raftLog = RaftLog.restore(persisted.snapshot, persisted.entries, persisted.hardState.commit);
    this.membership = new Membership(persisted.snapshot?.meta.confState ?? { voters: [], learners: [] });
    this.term = persisted.hardState.term;
    this.vote = persisted.hardState.vote;
    this.prevHardState = this.hardState();
    this.becomeFollower(this.term, NO_NODE);
    this.prevSoftState = this.softState();
  }

  /** A read-only view of the log. */
  get log(): RaftLogView {
    return this.raftLog;
  }

  // ---- inputs ---------------------------------------------------------------------------------

  /** One unit of logical time; the driver calls this on a timer. */
  tick(): void {
    this.ticks++;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  step(m: RaftMessage): void {
    if (m.to !== this.id) return;
    if (m.type === 'read-index') {
      // Term-less, like a client request: only a leader answers it.
      if (this.role === 'leader' && m.context !== '') this.leaderRead(m.context, m.from);
      return;
    }
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'pre-vote') {
        const forced = m.context === TRANSFER_CONTEXT;
        const inLease =
          this.options.checkQuorum &&
          this.leader !== NO_NODE &&
          this.electionElapsed < this.options.electionTicks;
        // A node that hears from a live leader ignores elections: this keeps a partitioned node
        // that comes back with a high term from deposing a healthy leader.
        if (!forced && inLease) return;
      }
      if (m.type === 'pre-vote' || (m.type === 'pre-vote-response' && !m.reject)) {
        // A pre-vote never changes terms; a granted pre-vote is counted below.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term < this.term) {
      if (
        (this.options.checkQuorum || this.options.preVote) &&
        (m.type === 'heartbeat' || m.type === 'append')
      ) {
        // Tell a stale leader about the newer term so it steps down.
        this.send({ type: 'append-response', to: m.from });
      } else if (m.type === 'pre-vote') {
        this.send({ type: 'pre-vote-response', to: m.from, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'pre-vote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  propose(data: Uint8Array): ProposeResult {
    const refused = this.refuseProposal();
    if (refused) return refused;
    const index = this.appendEntries([{ type: 'normal', data }]);
    return { ok: true, index, term: this.term };
  }

  /** Proposes one membership change; refused while another is not yet applied. */
  proposeConfChange(change: ConfChange): ProposeResult {
    const refused = this.refuseProposal();
    if (refused) return refused;
    if (this.pendingConfIndex > this.raftLog.applied) {
      return this.refusal('a membership change is still in progress');
    }
    const invalid = this.membership.validate(change);
    if (invalid) return this.refusal(invalid);
    if (change.type === 'promote-learner') {
      // Only what the learner acknowledged counts: a learner never reached has match 0.
      const match = this.progress.get(change.nodeId)?.match ?? 0;
      const target = this.catchUpTargets.get(change.nodeId) ?? this.raftLog.committed;
      if (match < target || match + this.options.learnerCatchUpMargin < this.raftLog.lastIndex()) {
        return this.refusal(
          `learner ${change.nodeId} has not caught up (match ${match}, needs ${target} acknowledged)`,
        );
      }
    }
    const index = this.appendEntries([{ type: 'conf', data: encodeConfChange(change) }]);
    this.pendingConfIndex = index;
    return { ok: true, index, term: this.term };
  }

  /**
   * Starts a linearizable read: once a ReadState with this context comes out of ready() and the
   * state machine has applied its index, reading local state is linearizable.
   */
  readIndex(context: string): RequestResult {
    if (this.role === 'leader') {
      this.leaderRead(context, this.id);
      return { ok: true };
    }
    if (this.leader === NO_NODE) return this.refusal('no known leader');
    // A follower asks its leader for the read index; the answer comes back as a ReadState. If the
    // request or answer is lost, or leadership changes meanwhile, the caller times out and retries.
    this.send({ type: 'read-index', to: this.leader, term: 0, context });
    return { ok: true };
  }

  /** Hands leadership to `to` once its log is up to date (it is told to campaign at once). */
  transferLeader(to: NodeId): RequestResult {
    if (this.role !== 'leader') return this.refusal('not the leader');
    if (to === this.id) return { ok: true };
    if (!this.membership.isVoter(to)) return this.refusal(`${to} is not a voter`);
    this.leadTransferee = to;
    // The transfer is abandoned if it has not happened within an election timeout.
    this.electionElapsed = 0;
    const pr = this.progress.get(to);
    if (pr && pr.match === this.raftLog.lastIndex()) this.send({ type: 'timeout-now', to });
    else this.sendAppend(to);
    return { ok: true };
  }

  /**
   * Takes a snapshot of the application's state as of `index` (default: the applied index; any
   * applied index after the current snapshot will do, so the app may serialize in the background)
   * and drops the log it covers. The returned snapshot must be saved by the driver.
   */
  compact(data: Uint8Array, index = this.raftLog.applied): Snapshot {
    if (index > this.raftLog.applied) {
      throw new Error(`raft: cannot snapshot at ${index}: only ${this.raftLog.applied} applied`);
    }
    const term = this.raftLog.term(index);
    if (term === undefined || index < this.raftLog.firstIndex()) {
      throw new Error(
        `raft: cannot snapshot at ${index}: the log starts after ${this.raftLog.firstIndex() - 1}`,
      );
    }
    if (this.handedOut && this.handedOut.committed.length > 0) {
      throw new Error('raft: compact() between ready() and advance()');
    }
    const snapshot: Snapshot = { meta: { index, term, confState: this.confStateAt(index) }, data };
    this.raftLog.compact(snapshot);
    this.confHistory = this.confHistory.filter((h) => h.index > index);
    return snapshot;
  }

  /** The membership as of an applied index: the last change at or before it, else the snapshot's. */
  private confStateAt(index: number): ConfState {
    for (let i = this.confHistory.length - 1; i >= 0; i--) {
      const h = this.confHistory[i];
      if (h && h.index <= index) return h.confState;
    }
    return this.raftLog.snapshot?.meta.confState ?? { voters: [], learners: [] };
  }

  // ---- outputs --------------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.messages.length > 0 ||
      this.readStates.length > 0 ||
      this.raftLog.pendingSnapshot !== undefined ||
      this.raftLog.persistedIndex < this.raftLog.lastIndex() ||
      this.raftLog.committed > this.raftLog.applied ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  ready(): Ready {
    const entries = this.raftLog.unstableEntries();
    const hardState = this.hardState();
    const softState = this.softState();
    const snapshot = this.raftLog.pendingSnapshot;
    const committedEntries = this.raftLog.nextCommittedEntries();
    const last = entries[entries.length - 1];
    const changedHard = sameHardState(hardState, this.prevHardState) ? undefined : hardState;
    const changedSoft = sameSoftState(softState, this.prevSoftState) ? undefined : softState;
    this.handedOut = {
      lastEntry: last ? { index: last.index, term: last.term } : undefined,
      snapshot,
      committed: committedEntries,
      hardState: changedHard,
      softState: changedSoft,
    };
    const rd: Ready = {
      ...(changedSoft ? { softState: changedSoft } : {}),
      ...(changedHard ? { hardState: changedHard } : {}),
      ...(snapshot ? { snapshot } : {}),
      entries,
      committedEntries,
      messages: this.messages,
      readStates: this.readStates,
    };
    this.messages = [];
    this.readStates = [];
    return rd;
  }

  /** Acknowledges the last Ready: it is persisted, sent and applied. */
  advance(): void {
    const done = this.handedOut;
    if (!done) return;
    this.handedOut = undefined;
    if (done.lastEntry) this.raftLog.stableTo(done.lastEntry.index, done.lastEntry.term);
    if (done.snapshot && this.raftLog.pendingSnapshot === done.snapshot)
      this.raftLog.pendingSnapshot = undefined;
    if (done.hardState) this.prevHardState = done.hardState;
    if (done.softState) this.prevSoftState = done.softState;
    for (const entry of done.committed) {
      if (entry.index <= this.raftLog.applied) continue;
      this.raftLog.applied = entry.index;
      const change = confChangeOf(entry);
      if (change) {
        this.applyConfChange(change);
        this.confHistory.push({ index: entry.index, confState: this.membership.toConfState() });
      }
    }
  }

  currentTerm(): number {
    return this.term;
  }

  currentRole(): Role {
    return this.role;
  }

  currentLeader(): NodeId {
    return this.leader;
  }

  confState(): ConfState {
    return this.membership.toConfState();
  }

  status(): RaftStatus {
    const matchIndex: Record<NodeId, number> = {};
    const reachable: Record<NodeId, boolean> = {};
    if (this.role === 'leader') {
      for (const [id, pr] of this.progress) {
        matchIndex[id] = pr.match;
        reachable[id] =
          id === this.id || (pr.heard && this.ticks - pr.lastHeardAt < this.options.electionTicks);
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      leader: this.leader,
      role: this.role,
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      firstIndex: this.raftLog.firstIndex(),
      lastIndex: this.raftLog.lastIndex(),
      lastTerm: this.raftLog.lastTerm(),
      confState: this.membership.toConfState(),
      matchIndex,
      reachable,
    };
  }

  // ---- the commit rule ------------------------------------------------------------------------

  /**
   * Raft's commit rule (§5.4.2): counting replicas commits only entries of the leader's own term;
   * older entries commit indirectly, under a newer entry. Overridden only by the test that shows
   * the simulation catches a core that breaks it.
   */
  protected mayCommitByCounting(index: number): boolean {
    return this.raftLog.term(index) === this.term;
  }

  /**
   * ReadIndex confirms leadership with a heartbeat round before answering: a deposed leader that
   * has not noticed yet must not serve reads. Overridden only by the test that shows the
   * simulation catches stale reads.
   */
  protected readsNeedQuorumConfirmation(): boolean {
    return true;
  }

  // ---- role changes ---------------------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.leader = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = randomInt(
      this.options.random,
      this.options.electionTicks,
      2 * this.options.electionTicks,
    );
    this.leadTransferee = NO_NODE;
    this.votes.clear();
    this.progress.clear();
    this.snapshotElapsed.clear();
    this.catchUpTargets.clear();
    for (const id of this.membership.members()) this.addProgress(id);
    for (const id of this.membership.learners) this.catchUpTargets.set(id, this.raftLog.committed);
    this.pendingConfIndex = 0;
    this.readOnly.clear();
    this.readsAwaitingCommit = [];
  }

  private addProgress(id: NodeId): void {
    const pr = new Progress(this.raftLog.lastIndex() + 1, this.options.maxInflightAppends);
    // A new leader (or a new member) gets a full election timeout before it counts as silent.
    pr.lastHeardAt = this.ticks;
    if (id === this.id) pr.match = this.raftLog.lastIndex();
    this.progress.set(id, pr);
  }

  private becomeFollower(term: number, leader: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    // Neither the term nor the vote changes: a pre-election is only a poll.
    this.votes.clear();
    this.leader = NO_NODE;
    this.role = 'pre-candidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    this.progress.get(this.id)?.becomeReplicate();
    // An empty entry of the new term commits everything before it (§5.4.2) and confirms reads.
    this.appendEntries([{ type: 'normal', data: new Uint8Array(0) }]);
    // No membership change until that entry is applied: a conf entry an earlier leader left in
    // the log is then settled, and this leader has committed in its own term (the single-server
    // change rule from Ongaro's correction).
    this.pendingConfIndex = this.raftLog.lastIndex();
  }

  private promotable(): boolean {
    return this.membership.isVoter(this.id) && this.raftLog.pendingSnapshot === undefined;
  }

  private campaign(kind: CampaignKind): void {
    if (!this.promotable()) return;
    // A membership change that is committed but not applied could change who may vote.
    if (this.raftLog.nextCommittedEntries().some((e) => e.type === 'conf')) return;
    let voteType: MessageType;
    let term: number;
    if (kind === 'pre-election') {
      this.becomePreCandidate();
      voteType = 'pre-vote';
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = 'vote';
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      this.wonElection(kind);
      return;
    }
    for (const id of this.membership.voters) {
      if (id === this.id) continue;
      this.send({
        type: voteType,
        to: id,
        term,
        index: this.raftLog.lastIndex(),
        logTerm: this.raftLog.lastTerm(),
        context: kind === 'transfer' ? TRANSFER_CONTEXT : '',
      });
    }
  }

  private wonElection(kind: CampaignKind): void {
    if (kind === 'pre-election') {
      this.campaign('election');
    } else {
      this.becomeLeader(); // its first entry is broadcast as it is appended
    }
  }

  private poll(from: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    const yes = new Set<NodeId>();
    const no = new Set<NodeId>();
    for (const [id, v] of this.votes) (v ? yes : no).add(id);
    if (this.membership.hasQuorum(yes)) return 'won';
    if (this.membership.hasQuorum(no)) return 'lost';
    return 'pending';
  }

  // ---- ticks ----------------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.options.preVote ? 'pre-election' : 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.options.checkQuorum && !this.heardFromQuorum()) {
      this.becomeFollower(this.term, NO_NODE);
      return;
    }
    if (this.electionElapsed >= this.options.electionTicks) {
      this.electionElapsed = 0;
      this.leadTransferee = NO_NODE;
    }
    for (const [id, elapsed] of this.snapshotElapsed) {
      const pr = this.progress.get(id);
      if (pr?.state !== 'snapshot') {
        this.snapshotElapsed.delete(id);
      } else if (elapsed + 1 >= this.options.electionTicks) {
        // The snapshot (or its ack) was lost: probe again, which re-sends it if still needed.
        this.snapshotElapsed.delete(id);
        pr.becomeProbe();
        this.sendAppend(id);
      } else {
        this.snapshotElapsed.set(id, elapsed + 1);
      }
    }
    if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext() ?? '');
    }
  }

  /** Check-quorum: whether a majority of voters (self included) answered within the last election timeout. */
  private heardFromQuorum(): boolean {
    const recent = new Set<NodeId>([this.id]);
    for (const [id, pr] of this.progress) {
      if (this.ticks - pr.lastHeardAt < this.options.electionTicks) recent.add(id);
    }
    return this.membership.hasQuorum(recent);
  }

  // ---- message handling -----------------------------------------------------------------------

  private handleVoteRequest(m: RaftMessage): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_NODE && this.leader === NO_NODE) ||
      (m.type === 'pre-vote' && m.term > this.term);
    const responseType = m.type === 'vote' ? 'vote-response' : 'pre-vote-response';
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // A granted pre-vote answers in the candidate's future term so that it counts it.
      this.send({ type: responseType, to: m.from, term: m.term });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: responseType, to: m.from, reject: true });
    }
  }

  private stepFollower(m: RaftMessage): void {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        break;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        break;
      case 'snapshot':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        break;
      case 'timeout-now':
        this.campaign('transfer');
        break;
      case 'read-index-response':
        this.readStates.push({ index: m.index, context: m.context });
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: RaftMessage): void {
    switch (m.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // Someone won this term.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        break;
      case 'vote-response':
      case 'pre-vote-response': {
        const expected = this.role === 'candidate' ? 'vote-response' : 'pre-vote-response';
        if (m.type !== expected) return;
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') this.wonElection(this.role === 'candidate' ? 'election' : 'pre-election');
        else if (result === 'lost') this.becomeFollower(this.term, NO_NODE);
        break;
      }
      default:
        break;
    }
  }

  private stepLeader(m: RaftMessage): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'append-response':
        pr.lastHeardAt = this.ticks;
        pr.heard = true;
        this.handleAppendResponse(m, pr);
        break;
      case 'heartbeat-response':
        pr.lastHeardAt = this.ticks;
        pr.heard = true;
        this.handleHeartbeatResponse(m, pr);
        break;
      default:
        break;
    }
  }

  private handleAppend(m: RaftMessage): void {
    if (m.index < this.raftLog.committed) {
      this.send({ type: 'append-response', to: m.from, index: this.raftLog.committed });
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ type: 'append-response', to: m.from, index: lastNew });
      return;
    }
    // Point the leader at the last index of ours whose term could still match its log.
    const hintIndex = this.raftLog.findConflictByTerm(Math.min(m.index, this.raftLog.lastIndex()), m.logTerm);
    this.send({
      type: 'append-response',
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hintIndex,
      logTerm: this.raftLog.term(hintIndex) ?? 0,
    });
  }

  private handleHeartbeat(m: RaftMessage): void {
    this.raftLog.commitTo(m.commit);
    this.send({ type: 'heartbeat-response', to: m.from, context: m.context });
  }

  private handleSnapshot(m: RaftMessage): void {
    const snapshot = m.snapshot;
    if (!snapshot) return;
    const { index, term, confState } = snapshot.meta;
    if (index <= this.raftLog.committed) {
      this.send({ type: 'append-response', to: m.from, index: this.raftLog.committed });
      return;
    }
    if (this.raftLog.matchTerm(index, term)) {
      // We already hold that log prefix: just learn that it is committed.
      this.raftLog.commitTo(index);
      this.send({ type: 'append-response', to: m.from, index: this.raftLog.lastIndex() });
      return;
    }
    // The snapshot may predate our own addition (a joining node gets the leader's latest one): we
    // then follow without being a voter until the entry that adds us is applied.
    this.raftLog.restore(snapshot);
    this.raftLog.applied = index;
    this.confHistory = [];
    this.membership.voters.clear();
    this.membership.learners.clear();
    for (const id of confState.voters) this.membership.voters.add(id);
    for (const id of confState.learners) this.membership.learners.add(id);
    this.send({ type: 'append-response', to: m.from, index: this.raftLog.lastIndex() });
  }

  private handleAppendResponse(m: RaftMessage, pr: Progress): void {
    if (m.reject) {
      const hint = m.logTerm > 0 ? this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.raftLog.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeUpTo(m.index);
    }
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else if (wasPaused) {
      this.sendAppend(m.from);
    }
    while (this.sendAppend(m.from, false)) {
      // Keep the pipeline full while there are entries and inflight room.
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.send({ type: 'timeout-now', to: m.from });
    }
  }

  private handleHeartbeatResponse(m: RaftMessage, pr: Progress): void {
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.raftLog.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
    if (m.context === '') return;
    const acks = this.readOnly.ack(m.context, m.from);
    if (acks && this.membership.hasQuorum(acks)) {
      for (const read of this.readOnly.releaseThrough(m.context)) this.confirmRead(read);
    }
  }

  // ---- replication ----------------------------------------------------------------------------

  private appendEntries(items: { type: Entry['type']; data: Uint8Array }[]): number {
    let index = this.raftLog.lastIndex();
    const entries = items.map((item) => ({
      term: this.term,
      index: ++index,
      type: item.type,
      data: item.data,
    }));
    this.raftLog.append(entries);
    this.progress.get(this.id)?.maybeUpdate(index);
    if (this.maybeCommit()) this.onCommitInTerm();
    this.bcastAppend();
    return index;
  }

  private maybeCommit(): boolean {
    const index = this.membership.committedIndex((id) => this.progress.get(id)?.match ?? 0);
    if (index <= this.raftLog.committed || !this.mayCommitByCounting(index)) return false;
    const firstInTerm = this.raftLog.term(this.raftLog.committed) !== this.term;
    this.raftLog.commitTo(index);
    if (firstInTerm) this.onCommitInTerm();
    return true;
  }

  private onCommitInTerm(): void {
    if (this.raftLog.term(this.raftLog.committed) !== this.term) return;
    const waiting = this.readsAwaitingCommit;
    this.readsAwaitingCommit = [];
    for (const { context, requester } of waiting) this.startRead(context, requester);
  }

  /** A read asked of this leader, by itself or forwarded by `requester`. */
  private leaderRead(context: string, requester: NodeId): void {
    if (this.raftLog.term(this.raftLog.committed) !== this.term) {
      // The commit index of a new leader may lag; wait until it commits its first entry.
      this.readsAwaitingCommit.push({ context, requester });
      return;
    }
    this.startRead(context, requester);
  }

  private startRead(context: string, requester: NodeId): void {
    if (!this.readsNeedQuorumConfirmation() || this.membership.hasQuorum(new Set([this.id]))) {
      this.confirmRead({ context, index: this.raftLog.committed, requester });
      return;
    }
    this.readOnly.add(context, this.raftLog.committed, this.id, requester);
    this.bcastHeartbeat(context);
  }

  private confirmRead(read: ConfirmedRead): void {
    if (read.requester === this.id) this.readStates.push({ index: read.index, context: read.context });
    else
      this.send({
        type: 'read-index-response',
        to: read.requester,
        index: read.index,
        context: read.context,
      });
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(context: string): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower a commit index beyond what it is known to hold.
      this.send({ type: 'heartbeat', to: id, commit: Math.min(pr.match, this.raftLog.committed), context });
    }
  }

  /** Sends the next batch to `to`; with `sendIfEmpty` false, only when there are entries. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.term(prevIndex);
    if (prevTerm === undefined) {
      // The entries this follower needs are compacted away: send the snapshot.
      const snapshot = this.raftLog.snapshot;
      if (!snapshot) throw new Error(`raft: no snapshot to send to ${to} at ${prevIndex}`);
      this.send({ type: 'snapshot', to, snapshot });
      pr.becomeSnapshot(snapshot.meta.index);
      this.snapshotElapsed.set(to, 0);
      return true;
    }
    const entries = this.raftLog.slice(
      pr.next,
      this.raftLog.lastIndex() + 1,
      this.options.maxBytesPerAppend,
      this.options.maxEntriesPerAppend,
    );
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: 'append',
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.raftLog.committed,
    });
    const last = entries[entries.length - 1];
    if (last) pr.sentEntries(last.index);
    else if (pr.state === 'probe') pr.probeSent = true;
    return true;
  }

  // ---- membership -----------------------------------------------------------------------------

  private applyConfChange(change: ConfChange): void {
    if (this.membership.validate(change)) return; // cannot happen with one change at a time; be safe
    this.membership.apply(change);
    if (this.role !== 'leader') return;
    if (change.type === 'add-learner') {
      this.addProgress(change.nodeId);
      this.catchUpTargets.set(change.nodeId, this.raftLog.committed);
    }
    if (change.type === 'promote-learner') this.catchUpTargets.delete(change.nodeId);
    if (change.type === 'remove-node') {
      this.progress.delete(change.nodeId);
      this.catchUpTargets.delete(change.nodeId);
      if (change.nodeId === this.id) {
        this.becomeFollower(this.term, NO_NODE);
        return;
      }
      if (this.leadTransferee === change.nodeId) this.leadTransferee = NO_NODE;
    }
    // A smaller quorum may commit more now.
    if (this.maybeCommit()) this.bcastAppend();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private refuseProposal(): { ok: false; reason: string; leader: NodeId } | undefined {
    if (this.role !== 'leader') return this.refusal('not the leader');
    if (this.leadTransferee !== NO_NODE) return this.refusal('leadership transfer in progress');
    return undefined;
  }

  private refusal(reason: string): { ok: false; reason: string; leader: NodeId } {
    return { ok: false, reason, leader: this.leader };
  }

  private send(m: Partial<RaftMessage> & { type: MessageType; to: NodeId }): void {
    this.messages.push({
      from: this.id,
      term: this.term,
      logTerm: 0,
      index: 0,
      commit: 0,
      entries: [],
      reject: false,
      rejectHint: 0,
      context: '',
      ...m,
    });
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  private softState(): SoftState {
    return { leader: this.leader, role: this.role };
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

/** The persisted state of a brand-new cluster member that bootstraps the cluster with `voters`. */
export function bootstrapState(voters: readonly NodeId[]): PersistedState {
  // The initial membership is a snapshot at index 1, so that a node joining later receives it by
  // InstallSnapshot (a log starting at index 1 would not tell it who the voters are).
  return {
    hardState: { term: 1, vote: NO_NODE, commit: 1 },
    snapshot: {
      meta: { index: 1, term: 1, confState: { voters: [...voters].sort(), learners: [] } },
      data: new Uint8Array(0),
    },
    entries: [],
  };
}

/** The persisted state of a node that will join an existing cluster (it learns everything from the leader). */
export function emptyState(): PersistedState {
  return { hardState: { term: 0, vote: NO_NODE, commit: 0 }, entries: [] };
}
