import { seededRandom } from '../../lib/index.ts';
import { drainReady } from '../core/drain-ready.ts';
import type { RaftOptions } from '../core/options.ts';
import { bootstrapState, emptyState, RaftCore } from '../core/raft-core.ts';
import type { Entry, NodeId, RaftMessage, ReadState, Snapshot } from '../core/types.ts';
import { MemoryStorage } from '../storage/memory-storage.ts';

/** Decides whether a message is delivered; the default delivers everything. */
export type MessageFilter = (m: RaftMessage) => boolean;

/**
 * A hand-driven cluster for unit tests of single rules: no clock and no randomness in delivery;
 * the test ticks chosen nodes and delivers messages in rounds, optionally dropping some.
 */
export class LockstepCluster {
  readonly cores = new Map<NodeId, RaftCore>();
  readonly storages = new Map<NodeId, MemoryStorage>();
  readonly applied = new Map<NodeId, Entry[]>();
  readonly readStates = new Map<NodeId, ReadState[]>();
  readonly restoredSnapshots = new Map<NodeId, Snapshot[]>();
  /** Every message sent so far, delivered or not. */
  readonly sent: RaftMessage[] = [];
  private inFlight: RaftMessage[] = [];
  private readonly options: Omit<RaftOptions, 'id' | 'random'>;
  filter: MessageFilter = () => true;

  constructor(voters: readonly NodeId[], options: Omit<RaftOptions, 'id' | 'random'> = {}) {
    this.options = options;
    for (const id of voters) this.storages.set(id, new MemoryStorage(bootstrapState(voters)));
    for (const id of voters) this.start(id);
  }

  /** A cluster of `voters` (a, b, c by default) in which `leader` has been elected. */
  static withLeader(
    leader: NodeId,
    voters: readonly NodeId[] = ['a', 'b', 'c'],
    options: Omit<RaftOptions, 'id' | 'random'> = {},
  ): LockstepCluster {
    const cluster = new LockstepCluster(voters, options);
    cluster.elect(leader);
    return cluster;
  }

  /** Adds a node with an empty log, as one joining the cluster would have. */
  addBlank(id: NodeId): RaftCore {
    this.storages.set(id, new MemoryStorage(emptyState()));
    return this.start(id);
  }

  /** (Re)starts a node from its storage. */
  start(id: NodeId): RaftCore {
    const storage = this.storages.get(id);
    if (!storage) throw new Error(`no storage for ${id}`);
    const core = new RaftCore(
      { ...this.options, id, random: seededRandom(id.length * 7919 + id.charCodeAt(id.length - 1)) },
      storage.load(),
    );
    this.cores.set(id, core);
    this.applied.set(id, []);
    return core;
  }

  core(id: NodeId): RaftCore {
    const core = this.cores.get(id);
    if (!core) throw new Error(`no core ${id}`);
    return core;
  }

  /** Drops everything to or from the given nodes. */
  isolate(...ids: NodeId[]): void {
    this.filter = (m) => !ids.includes(m.from) && !ids.includes(m.to);
  }

  heal(): void {
    this.filter = () => true;
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.core(id).tick();
    this.flush();
  }

  /** Lets `ticks` ticks of `id`'s clock pass, delivering every message after each. */
  advance(id: NodeId, ticks: number): void {
    for (let i = 0; i < ticks; i++) {
      this.tick(id);
      this.settle();
    }
  }

  /** Runs each node's Ready (drainReady): persist, queue messages, apply, advance. */
  flush(): void {
    for (const [id, core] of this.cores) {
      drainReady(core, {
        persist: (rd) => this.storages.get(id)?.save(rd),
        send: (messages) => {
          for (const m of messages) {
            this.sent.push(m);
            // A message sent across a cut link is lost, even if the link heals before delivery.
            if (this.filter(m)) this.inFlight.push(m);
          }
        },
        restore: (snapshot) =>
          this.restoredSnapshots.set(id, [...(this.restoredSnapshots.get(id) ?? []), snapshot]),
        apply: (entry) => this.applied.get(id)?.push(entry),
        readStates: (states) => this.readStates.set(id, [...(this.readStates.get(id) ?? []), ...states]),
      });
    }
  }

  /** Delivers one round of queued messages (those the filter lets through). */
  deliverRound(): number {
    this.flush();
    const batch = this.inFlight;
    this.inFlight = [];
    let delivered = 0;
    for (const m of batch) {
      const to = this.cores.get(m.to);
      if (!to || !this.filter(m)) continue;
      to.step(m);
      delivered++;
    }
    this.flush();
    return delivered;
  }

  /** Delivers until no message is in flight. */
  settle(maxRounds = 100): void {
    this.flush();
    for (let i = 0; i < maxRounds && this.inFlight.length > 0; i++) this.deliverRound();
    if (this.inFlight.length > 0) throw new Error('lockstep: messages still flowing after maxRounds');
  }

  /**
   * Makes `id` campaign (by ticking it past any election timeout) and lets the election finish.
   * First the other nodes' leader leases run out (as their clocks would have run meanwhile), with
   * their own messages dropped so that none of them starts an election of its own.
   */
  elect(id: NodeId): void {
    const core = this.core(id);
    const others = [...this.cores.keys()].filter((o) => o !== id);
    const saved = this.filter;
    this.filter = (m) => saved(m) && !others.includes(m.from);
    for (const o of others) for (let i = 0; i < (this.options.electionTicks ?? 10); i++) this.core(o).tick();
    this.settle();
    this.filter = saved;
    for (let i = 0; i < 100 && core.currentRole() !== 'leader'; i++) {
      core.tick();
      this.settle();
    }
    if (core.currentRole() !== 'leader') throw new Error(`lockstep: ${id} did not become leader`);
  }

  leaders(): NodeId[] {
    return [...this.cores].filter(([, c]) => c.currentRole() === 'leader').map(([id]) => id);
  }

  /** Data of the normal, non-empty entries a node has applied, as text. */
  appliedData(id: NodeId): string[] {
    return (this.applied.get(id) ?? [])
      .filter((e) => e.type === 'normal' && e.data.length > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
