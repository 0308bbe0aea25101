import type { NodeId } from './types.ts';

interface PendingRead {
  readonly context: string;
  readonly index: number;
  /** Who asked: the leader itself, or a follower that forwarded the read. */
  readonly requester: NodeId;
  readonly acks: Set<NodeId>;
}

export interface ConfirmedRead {
  readonly context: string;
  readonly index: number;
  readonly requester: NodeId;
}

/**
 * ReadIndex requests waiting for a heartbeat round to confirm the leader still leads. Reads are
 * confirmed in order: a quorum acking a later read's heartbeat also confirms every earlier one.
 */
export class ReadOnlyQueue {
  private readonly queue: PendingRead[] = [];

  add(context: string, index: number, self: NodeId, requester: NodeId): void {
    if (this.queue.some((r) => r.context === context)) return;
    this.queue.push({ context, index, requester, acks: new Set([self]) });
  }

  /** Records an ack; returns the acks so far for that read, or undefined if it is not pending. */
  ack(context: string, from: NodeId): ReadonlySet<NodeId> | undefined {
    const read = this.queue.find((r) => r.context === context);
    if (!read) return undefined;
    read.acks.add(from);
    return read.acks;
  }

  /** Removes and returns every read up to and including `context`. */
  releaseThrough(context: string): ConfirmedRead[] {
    const at = this.queue.findIndex((r) => r.context === context);
    if (at < 0) return [];
    return this.queue
      .splice(0, at + 1)
      .map(({ context: c, index, requester }) => ({ context: c, index, requester }));
  }

  lastContext(): string | undefined {
    return this.queue[this.queue.length - 1]?.context;
  }

  clear(): void {
    this.queue.length = 0;
  }
}
