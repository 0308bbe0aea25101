/**
 * Triggers (pure): a scheduled op may wait, up to `within`, for the moment a fault does most harm —
 * while the workload has writes in flight, or right after a node granted its vote in a new term.
 * `TriggerWatch` is fed what the run records (history entries, Raft samples) and answers whether a
 * trigger has fired since a given time, and at which node.
 */
import { z } from 'zod';
import { DurationSchema } from '../durations.ts';

export const TriggerSchema = z.discriminatedUnion('on', [
  z.strictObject({
    /** At least `min` ops that change state (not reads) invoked and not yet completed. */
    on: z.literal('writes-open'),
    min: z.number().int().min(1).default(4),
    within: DurationSchema.default(3000),
  }),
  z.strictObject({
    /**
     * A node's Raft sample shows a new term with its vote granted to another node: the op's node
     * becomes that voter.
     */
    on: z.literal('vote'),
    within: DurationSchema.default(4000),
  }),
]);
export type Trigger = z.output<typeof TriggerSchema>;
export type TriggerInput = z.input<typeof TriggerSchema>;

/** Ops that only read (every other op changes state, or may). */
const READS = new Set(['read', 'set-read', 'vm-status', 'vm-list', 'task-status', 'image-get']);

/** What the watch needs of a history entry. */
export interface OpLike {
  id: number;
  type: string;
  f: string;
}

/** What the watch needs of a sample (samples.jsonl's `raft` kind). */
export interface RaftSampleView {
  kind: string;
  t: number;
  node: string;
  ok: boolean;
  raft?: { term: number; votedFor: string; role: string } | undefined;
}

export interface Vote {
  node: string;
  term: number;
  votedFor: string;
  /** Sample time, ms since the run started. */
  t: number;
}

export interface TriggerCheck {
  met: boolean;
  /** The node the trigger names (the voter), when it names one. */
  node?: string | undefined;
  /** What the watch saw last, for the record when the trigger did not fire. */
  seen: string;
}

export class TriggerWatch {
  readonly #openWrites = new Set<number>();
  readonly #terms = new Map<string, number>();
  readonly #votes: Vote[] = [];

  observeOp(e: OpLike): void {
    if (e.type === 'invoke') {
      if (!READS.has(e.f)) this.#openWrites.add(e.id);
    } else this.#openWrites.delete(e.id);
  }

  observeSample(s: RaftSampleView): void {
    if (s.kind !== 'raft' || !s.ok || !s.raft) return;
    const before = this.#terms.get(s.node);
    const { term, votedFor } = s.raft;
    this.#terms.set(s.node, term);
    // A vote granted to another node in a term this node had not reached before: it has just
    // persisted that vote (a node that only heard a new leader's append keeps no vote).
    if (before !== undefined && term > before && votedFor !== '' && votedFor !== s.node)
      this.#votes.push({ node: s.node, term, votedFor, t: s.t });
  }

  get writesOpen(): number {
    return this.#openWrites.size;
  }

  /** Votes seen after `since` (ms since the run started), oldest first. */
  votesSince(since: number): Vote[] {
    return this.#votes.filter((v) => v.t >= since);
  }

  check(trigger: Trigger, since: number): TriggerCheck {
    if (trigger.on === 'writes-open') {
      const open = this.writesOpen;
      return { met: open >= trigger.min, seen: `${open} write(s) open` };
    }
    const vote = this.votesSince(since)[0];
    if (vote)
      return {
        met: true,
        node: vote.node,
        seen: `${vote.node} voted for ${vote.votedFor} in term ${vote.term}`,
      };
    const terms = [...this.#terms].map(([n, t]) => `${n}@${t}`).join(' ');
    return { met: false, seen: `no vote in a new term (terms ${terms || 'not sampled'})` };
  }
}

export function describeTrigger(t: Trigger): string {
  return t.on === 'writes-open'
    ? `once ≥ ${t.min} writes are open (≤ ${t.within} ms)`
    : `once a node votes in a new term (≤ ${t.within} ms)`;
}
