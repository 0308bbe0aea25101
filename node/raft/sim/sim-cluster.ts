import { type Random, randomInt, seededRandom } from '../../lib/index.ts';
import { decodeMessage, encodeMessage } from '../codec/message-codec.ts';
import { confChangeOf } from '../core/conf-change.ts';
import { drainReady } from '../core/drain-ready.ts';
import type { RaftOptions } from '../core/options.ts';
import { bootstrapState, emptyState, type ProposeResult, RaftCore } from '../core/raft-core.ts';
import type { ConfChange, ConfChangeType, NodeId, PersistedState, RaftMessage } from '../core/types.ts';
import { MemoryStorage } from '../storage/memory-storage.ts';
import { EventQueue } from './event-queue.ts';
import { SafetyChecker, SafetyViolation } from './safety-checker.ts';
import { SimApp, writeData } from './sim-app.ts';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice. */
  readonly duplicateRate: number;
  /** Each copy is delayed uniformly in [minDelayMs, maxDelayMs]: this also reorders. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export const RELIABLE_NETWORK: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  minDelayMs: 1,
  maxDelayMs: 10,
};

export type CoreFactory = (options: RaftOptions, persisted: PersistedState) => RaftCore;

export interface SimClusterOptions {
  readonly seed: number;
  readonly voters: readonly NodeId[];
  /** Nodes that exist but are not members; they can be started and added as learners. */
  readonly spares?: readonly NodeId[];
  readonly raft?: Omit<RaftOptions, 'id' | 'random'>;
  readonly coreFactory?: CoreFactory;
  readonly tickMs?: number;
  /** Clock drift: each node's tick interval is tickMs scaled by a factor in [1 - drift, 1 + drift]. */
  readonly clockDrift?: number;
  /** Longest delay between a core's step and the driver persisting its Ready (a crash loses it). */
  readonly maxFsyncMs?: number;
  /** Take a snapshot once this many applied entries follow the last one (0: never). */
  readonly snapshotEvery?: number;
  readonly network?: NetworkFaults;
}

type SimEvent =
  | { readonly kind: 'tick'; readonly id: NodeId }
  | { readonly kind: 'deliver'; readonly from: NodeId; readonly to: NodeId; readonly bytes: Uint8Array }
  | { readonly kind: 'flush'; readonly id: NodeId };

interface PendingRead {
  readonly context: string;
  /** Event sequence number when the read was invoked. */
  readonly invokedAt: number;
  index?: number;
}

/** One simulated server: a core, its durable storage, its state machine, and client bookkeeping. */
export class SimNode {
  readonly id: NodeId;
  up = false;
  core: RaftCore | undefined;
  readonly storage: MemoryStorage;
  app = new SimApp();
  flushScheduled = false;
  pendingReads: PendingRead[] = [];
  proposals = new Map<number, { writeId: string; term: number }>();

  constructor(id: NodeId, initial: PersistedState) {
    this.id = id;
    this.storage = new MemoryStorage(initial);
  }
}

/**
 * A deterministic cluster: Raft cores driven by a seeded clock and network. Every message goes
 * through the binary codec; every event is followed by the safety checks, which throw a
 * SafetyViolation at the first broken guarantee.
 */
export class SimCluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly checker = new SafetyChecker();
  readonly random: Random;
  network: NetworkFaults;
  now = 0;
  /**
   * Number of events processed: the logical time of client operations. Acks happen during an
   * event and client calls between events, so an ack at n precedes a call made at n.
   */
  seq = 0;
  readonly stats = { messages: 0, dropped: 0, writesAcked: 0, readsChecked: 0, snapshots: 0, restarts: 0 };
  /** Conf changes that took effect (first application of each conf entry), by type. */
  readonly confChangesApplied: Record<ConfChangeType, number> = {
    'add-learner': 0,
    'promote-learner': 0,
    'remove-node': 0,
  };
  private readonly confIndexesApplied = new Set<number>();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly options: SimClusterOptions;
  private readonly storages = new Map<NodeId, MemoryStorage>();
  private readonly tickIntervals = new Map<NodeId, number>();
  private partitionOf = new Map<NodeId, number>();
  private readonly writes = new Map<string, { ackedAt?: number }>();
  private nextWrite = 0;
  private nextRead = 0;
  private readonly trace: string[] = [];

  constructor(options: SimClusterOptions) {
    this.options = options;
    this.random = seededRandom(options.seed);
    this.network = options.network ?? RELIABLE_NETWORK;
    const tickMs = options.tickMs ?? 10;
    const drift = options.clockDrift ?? 0;
    for (const id of this.nodes.keys()) {
      this.tickIntervals.set(id, Math.max(1, Math.round(tickMs * (1 - drift + 2 * drift * this.random()))));
    }
    for (const id of options.voters) this.addNode(new SimNode(id, bootstrapState(options.voters)));
    for (const id of options.spares ?? []) this.addNode(new SimNode(id, emptyState()));
    for (const id of options.voters) this.start(id);
    for (const id of this.nodes.keys())
      this.queue.push(randomInt(this.random, 0, tickMs), { kind: 'tick', id });
  }

  private addNode(node: SimNode): void {
    this.nodes.set(node.id, node);
    this.storages.set(node.id, node.storage);
  }

  node(id: NodeId): SimNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`sim: no node ${id}`);
    return node;
  }

  core(id: NodeId): RaftCore {
    const core = this.node(id).core;
    if (!core) throw new Error(`sim: node ${id} is down`);
    return core;
  }

  // ---- running --------------------------------------------------------------------------------

  runFor(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const t = this.queue.peekTime();
      if (t === undefined || t > until) break;
      this.processNext();
    }
    this.now = until;
  }

  /** Runs until `done()` holds after some event, or `maxMs` pass; returns whether it held. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const until = this.now + maxMs;
    if (done()) return true;
    for (;;) {
      const t = this.queue.peekTime();
      if (t === undefined || t > until) break;
      this.processNext();
      if (done()) return true;
    }
    this.now = until;
    return false;
  }

  private processNext(): void {
    const next = this.queue.pop();
    if (!next) return;
    this.now = next.time;
    this.seq++;
    const event = next.value;
    try {
      switch (event.kind) {
        case 'tick': {
          this.queue.push(this.now + (this.tickIntervals.get(event.id) ?? 10), event);
          const node = this.node(event.id);
          if (node.up && node.core) {
            node.core.tick();
            this.afterStep(node);
          }
          break;
        }
        case 'deliver': {
          const node = this.node(event.to);
          if (!node.up || !node.core || !this.linked(event.from, event.to)) {
            this.stats.dropped++;
            break;
          }
          const m = decodeMessage(event.bytes);
          this.record(`${event.to} <- ${describe(m)}`);
          node.core.step(m);
          this.afterStep(node);
          break;
        }
        case 'flush': {
          const node = this.node(event.id);
          node.flushScheduled = false;
          if (node.up) this.flush(node);
          break;
        }
      }
    } catch (err) {
      if (err instanceof Error)
        err.message += `\n  at t=${this.now}ms, event #${this.seq}; last events:\n    ${this.trace.join('\n    ')}`;
      throw err;
    }
  }

  private afterStep(node: SimNode): void {
    const core = node.core;
    if (!core) return;
    this.checker.afterEvent(core);
    if (!node.flushScheduled && core.hasReady()) {
      node.flushScheduled = true;
      this.queue.push(this.now + randomInt(this.random, 0, (this.options.maxFsyncMs ?? 2) + 1), {
        kind: 'flush',
        id: node.id,
      });
    }
  }

  /** The driver loop (drainReady): persist, send, apply, advance; then serve reads and maybe snapshot. */
  private flush(node: SimNode): void {
    const core = node.core;
    if (!core) return;
    drainReady(core, {
      persist: (rd) => {
        this.checker.beforeSave(node.id, node.storage, rd);
        node.storage.save(rd);
        this.checker.afterSave(core, node.storage, this.storages);
        if (rd.softState) {
          this.record(
            `${node.id} is ${rd.softState.role} (leader ${rd.softState.leader || '-'}) term ${core.currentTerm()}`,
          );
        }
      },
      send: (messages) => {
        for (const m of messages) this.send(m);
      },
      restore: (snapshot) => {
        this.checker.onRestore(node.id, snapshot);
        node.app.restore(snapshot.data, snapshot.meta.index);
        this.record(`${node.id} restored snapshot ${snapshot.meta.index}`);
      },
      apply: (entry) => {
        node.app.apply(entry);
        const change = confChangeOf(entry);
        if (change && !this.confIndexesApplied.has(entry.index)) {
          this.confIndexesApplied.add(entry.index);
          this.confChangesApplied[change.type]++;
        }
        this.checker.onApply(node.id, entry);
        this.ackProposal(node, entry.index, entry.term, entry.data);
      },
      readStates: (states) => {
        for (const rs of states) {
          const read = node.pendingReads.find((r) => r.context === rs.context);
          if (read) read.index = rs.index;
        }
      },
    });
    this.serveReads(node);
    this.checker.afterEvent(core);
    const every = this.options.snapshotEvery ?? 0;
    if (every > 0 && node.app.appliedIndex - node.storage.snapshotIndex() >= every) {
      const snapshot = core.compact(node.app.snapshotData());
      node.storage.saveSnapshot(snapshot);
      this.stats.snapshots++;
    }
  }

  private send(m: RaftMessage): void {
    this.stats.messages++;
    if (this.random() < this.network.dropRate) {
      this.stats.dropped++;
      return;
    }
    const bytes = encodeMessage(m);
    const copies = this.random() < this.network.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = randomInt(this.random, this.network.minDelayMs, this.network.maxDelayMs + 1);
      this.queue.push(this.now + delay, { kind: 'deliver', from: m.from, to: m.to, bytes });
    }
  }

  private linked(a: NodeId, b: NodeId): boolean {
    return (this.partitionOf.get(a) ?? 0) === (this.partitionOf.get(b) ?? 0);
  }

  private record(line: string): void {
    this.trace.push(`t=${this.now} ${line}`);
    if (this.trace.length > 30) this.trace.shift();
  }

  // ---- faults ---------------------------------------------------------------------------------

  /** Nodes in different groups cannot talk; nodes not named form one more group. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.partitionOf = new Map();
    groups.forEach((group, i) => {
      for (const id of group) this.partitionOf.set(id, i + 1);
    });
    this.record(`partition ${groups.map((g) => `[${g.join(',')}]`).join(' ')}`);
  }

  heal(): void {
    this.partitionOf = new Map();
    this.record('heal');
  }

  /** Stops a node: everything not yet persisted by a flush is lost. */
  crash(id: NodeId): void {
    const node = this.node(id);
    node.up = false;
    node.core = undefined;
    node.pendingReads = [];
    node.proposals.clear();
    this.record(`crash ${id}`);
  }

  /** Starts (or restarts) a node from what its storage holds. */
  start(id: NodeId): void {
    const node = this.node(id);
    const persisted = node.storage.load();
    const options: RaftOptions = { ...this.options.raft, id, random: this.random };
    node.core = this.options.coreFactory
      ? this.options.coreFactory(options, persisted)
      : new RaftCore(options, persisted);
    node.app = new SimApp();
    if (persisted.snapshot) node.app.restore(persisted.snapshot.data, persisted.snapshot.meta.index);
    node.up = true;
    this.stats.restarts++;
    this.record(`start ${id}`);
    this.afterStep(node);
  }

  // ---- clients --------------------------------------------------------------------------------

  /** Proposes a unique write at `id`; returns its id when the node accepted it. */
  propose(id: NodeId): string | undefined {
    const node = this.node(id);
    if (!node.core) return undefined;
    const writeId = `w${this.nextWrite++}`;
    const result = node.core.propose(writeData(writeId));
    if (!result.ok) return undefined;
    node.proposals.set(result.index, { writeId, term: result.term });
    this.writes.set(writeId, {});
    this.record(`${id} proposed ${writeId} at ${result.index}`);
    this.afterStep(node);
    return writeId;
  }

  isAcked(writeId: string): boolean {
    return this.writes.get(writeId)?.ackedAt !== undefined;
  }

  private ackProposal(node: SimNode, index: number, term: number, data: Uint8Array): void {
    const p = node.proposals.get(index);
    if (!p) return;
    node.proposals.delete(index);
    // Acked only if the entry that committed at that index is ours; otherwise its fate is unknown.
    if (p.term !== term || new TextDecoder().decode(data) !== p.writeId) return;
    const w = this.writes.get(p.writeId);
    if (w) w.ackedAt = this.seq;
    this.stats.writesAcked++;
  }

  /** Starts a ReadIndex read at `id`. */
  read(id: NodeId): boolean {
    const node = this.node(id);
    if (!node.core) return false;
    const context = `r${this.nextRead++}`;
    if (!node.core.readIndex(context).ok) return false;
    node.pendingReads.push({ context, invokedAt: this.seq });
    this.afterStep(node);
    return true;
  }

  private serveReads(node: SimNode): void {
    node.pendingReads = node.pendingReads.filter((read) => {
      if (read.index === undefined || read.index > node.app.appliedIndex) return true;
      // Linearizable: the read reflects every write acknowledged before it was invoked.
      for (const [writeId, w] of this.writes) {
        if (w.ackedAt !== undefined && w.ackedAt <= read.invokedAt && !node.app.writes.has(writeId)) {
          throw new SafetyViolation(
            `linearizability: read ${read.context} at ${node.id} (read index ${read.index}, applied ${node.app.appliedIndex}) ` +
              `misses ${writeId}, acknowledged before the read was invoked`,
          );
        }
      }
      this.stats.readsChecked++;
      return false;
    });
  }

  proposeConfChange(id: NodeId, change: ConfChange): ProposeResult | undefined {
    const node = this.node(id);
    if (!node.core) return undefined;
    const result = node.core.proposeConfChange(change);
    if (result.ok) this.record(`${id} proposed ${change.type} ${change.nodeId} at ${result.index}`);
    this.afterStep(node);
    return result;
  }

  transferLeader(id: NodeId, to: NodeId): boolean {
    const node = this.node(id);
    if (!node.core) return false;
    const ok = node.core.transferLeader(to).ok;
    if (ok) this.record(`${id} transfers leadership to ${to}`);
    this.afterStep(node);
    return ok;
  }

  // ---- observation ----------------------------------------------------------------------------

  /** The up node that leads the highest term, if any. */
  leader(): NodeId | undefined {
    let best: RaftCore | undefined;
    for (const node of this.nodes.values()) {
      const core = node.core;
      if (
        node.up &&
        core &&
        core.currentRole() === 'leader' &&
        (!best || core.currentTerm() > best.currentTerm())
      ) {
        best = core;
      }
    }
    return best?.id;
  }
}

function describe(m: RaftMessage): string {
  const extra =
    m.type === 'append'
      ? ` prev=${m.index}/${m.logTerm} n=${m.entries.length} commit=${m.commit}`
      : m.type === 'append-response'
        ? ` index=${m.index}${m.reject ? ` reject hint=${m.rejectHint}/${m.logTerm}` : ''}`
        : m.reject
          ? ' reject'
          : '';
  return `${m.type} from ${m.from} term ${m.term}${extra}`;
}
