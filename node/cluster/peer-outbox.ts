/**
 * Raft messages to one peer, in order, through the peer connector: a bounded
 * queue drained by one sender that batches whatever has accumulated into one
 * SendRaftMessage call. The peer's circuit breaker decides when to send: while
 * the peer is down, messages wait (the oldest dropped beyond the bound,
 * counted) instead of each send waiting out a deadline. Raft retransmits, so
 * a drop costs a retry, never correctness.
 */
import type { PeerLink } from '../peers/index.ts';
import { PeerQueue } from '../peers/index.ts';
import { encodeMessage, type RaftMessage } from '../raft/index.ts';
import { ClusterService, createClient } from '../transport/index.ts';

export interface OutboxOptions {
  maxQueued: number;
  maxBatch: number;
  timeoutMs: number;
  /** Pause after a failed send before the next try. */
  retryDelayMs: number;
}

export const DEFAULT_OUTBOX: OutboxOptions = {
  maxQueued: 4096,
  maxBatch: 256,
  timeoutMs: 2000,
  retryDelayMs: 50,
};

export class PeerOutbox {
  readonly peer: string;
  private readonly queue: PeerQueue<RaftMessage>;
  /** Round-trip time of each delivered batch, ms, for the transport latency figures. */
  onSent?: (ms: number, count: number, transport: string) => void;

  constructor(self: string, link: PeerLink, opts: OutboxOptions = DEFAULT_OUTBOX) {
    this.peer = link.peer;
    const client = createClient(ClusterService, link.channel);
    this.queue = new PeerQueue<RaftMessage>(
      link,
      async (batch) => {
        const started = performance.now();
        await client.sendRaftMessage(
          { from: self, to: link.peer, messages: batch.map(encodeMessage) },
          { timeoutMs: opts.timeoutMs },
        );
        this.onSent?.(
          performance.now() - started,
          batch.length,
          link.channel.pick('blixard.ClusterService', 'SendRaftMessage'),
        );
      },
      { capacity: opts.maxQueued, maxBatch: opts.maxBatch, retryDelayMs: opts.retryDelayMs },
    );
  }

  push(message: RaftMessage): void {
    this.queue.push(message);
  }

  get queued(): number {
    return this.queue.queued;
  }

  get dropped(): number {
    return this.queue.dropped;
  }

  get sent(): number {
    return this.queue.sent;
  }

  get failures(): number {
    return this.queue.failures;
  }

  close(): void {
    this.queue.close();
  }
}
