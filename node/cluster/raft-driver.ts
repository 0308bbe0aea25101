/**
 * The Raft driver: gives the pure core its clock (a tick timer), its disk
 * (RaftStorage, synced before any message leaves), its network (an outbox per
 * peer) and its state machine, and turns proposals and reads into promises.
 */

import { seededRandom } from '../lib/index.ts';
import type { Logger } from '../log.ts';
import {
  type ConfChange,
  confChangeOf,
  drainReady,
  type Entry,
  type NodeId,
  type PersistedState,
  RaftCore,
  type RaftMessage,
  type RaftStatus,
  type RaftStorage,
  type Ready,
  type Role,
  type Snapshot,
} from '../raft/index.ts';
import {
  type ApplyResult,
  type ClusterState,
  type Command,
  decodeCommand,
  encodeCommand,
} from '../state/index.ts';
import { Code, RpcError } from '../transport/index.ts';
import { refusal } from './refusal.ts';

export interface RaftTimings {
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  /** Take a snapshot and compact the log after this many applied entries. */
  snapshotEntries: number;
}

export interface RaftDriverOptions {
  id: NodeId;
  storage: RaftStorage;
  state: ClusterState;
  timings: RaftTimings;
  /** Hands messages to the network; called in order, after they are durable. */
  send: (messages: readonly RaftMessage[]) => void;
  log: Logger;
  /** Seed for election timeouts; defaults to a value derived from the id and the clock. */
  seed?: number;
  onRoleChange?: (role: Role, leader: NodeId, term: number) => void;
  onApplied?: (index: number) => void;
  /** A proposal of this node committed and applied, after `ms`. */
  onCommitted?: (ms: number) => void;
}

export interface Committed {
  index: number;
  result: ApplyResult;
}

interface PendingProposal {
  term: number;
  started: number;
  resolve: (c: Committed) => void;
  reject: (e: RpcError) => void;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  /** Started while this node led: it dies with the leadership. A follower's read waits on the leader. */
  asLeader: boolean;
  resolve: (index: number) => void;
  reject: (e: RpcError) => void;
  timer: NodeJS.Timeout;
}

export class RaftDriver {
  readonly id: NodeId;
  private readonly core: RaftCore;
  private readonly opts: RaftDriverOptions;
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly appliedWaiters: { index: number; resolve: () => void }[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;
  private readSeq = 0;
  private lastSnapshotIndex = 0;
  private role: Role = 'follower';
  private leader: NodeId = '';
  leaderChanges = 0;
  electionsStarted = 0;

  constructor(opts: RaftDriverOptions, persisted: PersistedState) {
    this.opts = opts;
    this.id = opts.id;
    const seed = opts.seed ?? hashSeed(`${opts.id}:${Date.now()}:${process.pid}`);
    this.core = new RaftCore(
      {
        id: opts.id,
        random: seededRandom(seed),
        electionTicks: opts.timings.electionTicks,
        heartbeatTicks: opts.timings.heartbeatTicks,
        preVote: true,
        checkQuorum: true,
      },
      persisted,
    );
    if (persisted.snapshot) {
      opts.state.restore(persisted.snapshot.data, persisted.snapshot.meta.index);
      this.lastSnapshotIndex = persisted.snapshot.meta.index;
    }
  }

  start(): void {
    this.ticker = setInterval(() => {
      this.core.tick();
      this.schedule();
    }, this.opts.timings.tickMs);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    const gone = new RpcError(Code.UNAVAILABLE, 'node is stopping');
    for (const p of this.proposals.values()) this.failProposal(p, gone);
    this.proposals.clear();
    for (const r of this.reads.values()) this.failRead(r, gone);
    this.reads.clear();
  }

  // ---- inputs -----------------------------------------------------------------------------

  step(message: RaftMessage): void {
    if (this.stopped) return;
    this.core.step(message);
    this.schedule();
  }

  /** Proposes a command; resolves once it is committed and applied here, with its result. */
  /**
   * A report (a VM's or a task's outcome) proposed as its guarded command: applied or refused, the
   * result is the report's answer.
   */
  async proposeReport(
    cmd: Command,
    timeoutMs: number,
  ): Promise<{ index: number; ok: boolean; message: string }> {
    const committed = await this.propose(cmd, timeoutMs);
    return {
      index: committed.index,
      ok: committed.result.ok,
      message: committed.result.ok ? 'applied' : committed.result.message,
    };
  }

  propose(cmd: Command, timeoutMs: number): Promise<Committed> {
    return this.track(this.core.propose(encodeCommand(cmd)), timeoutMs);
  }

  proposeConfChange(change: ConfChange, timeoutMs: number): Promise<Committed> {
    return this.track(this.core.proposeConfChange(change), timeoutMs);
  }

  /** A linearizable read point: resolves with an index this node has applied, confirmed by a quorum. */
  readIndex(timeoutMs: number): Promise<number> {
    const context = `${this.id}:${++this.readSeq}`;
    const started = this.core.readIndex(context);
    if (!started.ok) return Promise.reject(notLeader(started.reason, started.leader));
    this.schedule();
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.delete(context);
        reject(new RpcError(Code.UNAVAILABLE, `read not confirmed by a quorum within ${timeoutMs} ms`));
      }, timeoutMs);
      this.reads.set(context, { asLeader: this.core.currentRole() === 'leader', resolve, reject, timer });
    });
  }

  /** Hands leadership to `to` (or the most caught-up voter) and waits until this node no longer leads. */
  async transferLeadership(to: NodeId | undefined, timeoutMs: number): Promise<boolean> {
    if (this.core.currentRole() !== 'leader') return true;
    const target = to ?? this.bestTransferee();
    if (target === undefined) return false;
    this.core.transferLeader(target);
    this.schedule();
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.core.currentRole() !== 'leader') return true;
      await new Promise((r) => setTimeout(r, this.opts.timings.tickMs));
    }
    return this.core.currentRole() !== 'leader';
  }

  /** Resolves once the state machine has applied `index`. */
  waitApplied(index: number): Promise<void> {
    if (this.opts.state.applied >= index) return Promise.resolve();
    return new Promise((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  // ---- queries ----------------------------------------------------------------------------

  status(): RaftStatus {
    return this.core.status();
  }

  get isLeader(): boolean {
    return this.core.currentRole() === 'leader';
  }

  get leaderId(): NodeId {
    return this.core.currentLeader();
  }

  // ---- the ready loop ---------------------------------------------------------------------

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.drain();
      } catch (err) {
        // Storage failures are fatal: continuing could acknowledge what is not durable.
        this.opts.log.error('raft ready loop failed; stopping the node', { error: String(err) });
        process.exitCode = 1;
        void this.stop().then(() => process.kill(process.pid, 'SIGTERM'));
      }
    });
  }

  private drain(): void {
    if (this.stopped) return;
    drainReady(this.core, {
      persist: (rd) => {
        this.persist(rd);
        if (rd.softState) this.noteSoftState(rd.softState.role, rd.softState.leader);
      },
      send: (messages) => this.opts.send(messages),
      restore: (snapshot) => this.restore(snapshot),
      apply: (entry) => this.applyEntry(entry),
      readStates: (states) => {
        for (const rs of states) this.confirmRead(rs.context, rs.index);
      },
    });
    this.failOrphanedRequests();
    this.maybeSnapshot();
  }

  private persist(rd: Ready): void {
    if (rd.entries.length === 0 && !rd.hardState && !rd.snapshot) return;
    this.opts.storage.save({
      entries: rd.entries,
      ...(rd.hardState ? { hardState: rd.hardState } : {}),
      ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
    });
  }

  private restore(snapshot: Snapshot): void {
    this.opts.state.restore(snapshot.data, snapshot.meta.index);
    this.lastSnapshotIndex = snapshot.meta.index;
    this.opts.log.info('restored state from a snapshot', { index: snapshot.meta.index });
    this.releaseApplied();
  }

  private applyEntry(entry: Entry): void {
    const { index, term, type, data } = entry;
    if (index <= this.opts.state.applied) return;
    let result: ApplyResult = { ok: true };
    if (type === 'normal' && data.length > 0) {
      result = this.opts.state.apply(index, decodeCommand(data));
    } else {
      this.opts.state.skip(index);
      if (type === 'conf') {
        const change = confChangeOf(entry);
        this.opts.log.info('membership change applied', { index, change });
      }
    }
    const pending = this.proposals.get(index);
    if (pending) {
      this.proposals.delete(index);
      clearTimeout(pending.timer);
      if (pending.term === term) {
        this.opts.onCommitted?.(performance.now() - pending.started);
        pending.resolve({ index, result });
      } else
        pending.reject(
          new RpcError(Code.UNAVAILABLE, `proposal at ${index} was replaced by a new leader's entry`),
        );
    }
    this.opts.onApplied?.(index);
    this.releaseApplied();
  }

  private releaseApplied(): void {
    const applied = this.opts.state.applied;
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i];
      if (w && w.index <= applied) {
        this.appliedWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private confirmRead(context: string, index: number): void {
    const pending = this.reads.get(context);
    if (!pending) return;
    this.reads.delete(context);
    clearTimeout(pending.timer);
    void this.waitApplied(index).then(() => pending.resolve(index));
  }

  private noteSoftState(role: Role, leader: NodeId): void {
    if (role === 'pre-candidate' && this.role !== 'pre-candidate') this.electionsStarted += 1;
    if (leader !== this.leader && leader !== '') this.leaderChanges += 1;
    this.role = role;
    this.leader = leader;
    this.opts.log.info('raft role', { role, leader, term: this.core.currentTerm() });
    this.opts.onRoleChange?.(role, leader, this.core.currentTerm());
  }

  /**
   * Requests are only taken while leading; once this node no longer leads, those still pending
   * may yet commit under the next leader: their outcome is unknown. Checked after a whole drain,
   * so entries applied in the same batches resolve their proposals first.
   */
  private failOrphanedRequests(): void {
    if (this.core.currentRole() === 'leader') return;
    if (this.proposals.size === 0 && this.reads.size === 0) return;
    const lost = new RpcError(
      Code.UNAVAILABLE,
      'leadership lost before the request completed; outcome unknown',
    );
    for (const p of this.proposals.values()) this.failProposal(p, lost);
    this.proposals.clear();
    for (const [context, r] of this.reads) {
      if (!r.asLeader) continue;
      this.failRead(r, lost);
      this.reads.delete(context);
    }
  }

  private maybeSnapshot(): void {
    const applied = this.opts.state.applied;
    if (applied - this.lastSnapshotIndex < this.opts.timings.snapshotEntries) return;
    const snapshot = this.core.compact(this.opts.state.snapshot());
    this.opts.storage.saveSnapshot(snapshot);
    this.lastSnapshotIndex = snapshot.meta.index;
    this.opts.log.info('log compacted', { index: snapshot.meta.index });
  }

  private track(result: ReturnType<RaftCore['propose']>, timeoutMs: number): Promise<Committed> {
    if (!result.ok) return Promise.reject(notLeader(result.reason, result.leader));
    this.schedule();
    return new Promise<Committed>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.proposals.delete(result.index);
        reject(
          new RpcError(
            Code.UNAVAILABLE,
            `not committed within ${timeoutMs} ms (no quorum?); outcome unknown`,
          ),
        );
      }, timeoutMs);
      this.proposals.set(result.index, {
        term: result.term,
        started: performance.now(),
        resolve,
        reject,
        timer,
      });
    });
  }

  private failProposal(p: PendingProposal, err: RpcError): void {
    clearTimeout(p.timer);
    p.reject(err);
  }

  private failRead(r: PendingRead, err: RpcError): void {
    clearTimeout(r.timer);
    r.reject(err);
  }

  private bestTransferee(): NodeId | undefined {
    const status = this.core.status();
    let best: NodeId | undefined;
    let bestMatch = -1;
    for (const voter of status.confState.voters) {
      if (voter === this.id) continue;
      const match = status.matchIndex[voter] ?? 0;
      if (match > bestMatch) {
        best = voter;
        bestMatch = match;
      }
    }
    return best;
  }
}

/**
 * The Raft core would not take the request (not the leader, a transfer in progress...): a refusal,
 * naming the leader when known (the client can go there).
 */
export function notLeader(reason: string, leader: NodeId): RpcError {
  return refusal(leader ? `${reason}; leader is ${leader}` : `${reason}; no leader known`);
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
