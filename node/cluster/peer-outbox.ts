/**
 * Raft messages to one peer, in order: a queue drained by one sender that
 * batches whatever has accumulated into one SendRaftMessage call. The queue is
 * bounded — Raft retransmits, so a peer that is down costs dropped messages
 * (counted), not memory.
 */
import { encodeMessage, type RaftMessage } from '../raft/index.ts';
import { ClusterService, createClient, type RoutedChannel } from '../transport/index.ts';

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
  private readonly self: string;
  private readonly client;
  private readonly opts: OutboxOptions;
  private queue: RaftMessage[] = [];
  private sending = false;
  private closed = false;
  dropped = 0;
  sent = 0;
  failures = 0;
  /** Round-trip times of recent sends, ms, for the transport latency figures. */
  onSent?: (ms: number, count: number, transport: string) => void;

  constructor(self: string, peer: string, channel: RoutedChannel, opts: OutboxOptions = DEFAULT_OUTBOX) {
    this.self = self;
    this.peer = peer;
    this.client = createClient(ClusterService, channel);
    this.channel = channel;
    this.opts = opts;
  }

  private readonly channel: RoutedChannel;

  push(message: RaftMessage): void {
    if (this.closed) return;
    this.queue.push(message);
    if (this.queue.length > this.opts.maxQueued) {
      const excess = this.queue.length - this.opts.maxQueued;
      this.queue.splice(0, excess);
      this.dropped += excess;
    }
    if (!this.sending) void this.pump();
  }

  get queued(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    this.queue = [];
  }

  private async pump(): Promise<void> {
    this.sending = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch);
        const started = performance.now();
        try {
          await this.client.sendRaftMessage(
            { from: this.self, to: this.peer, messages: batch.map(encodeMessage) },
            { timeoutMs: this.opts.timeoutMs },
          );
          this.sent += batch.length;
          this.onSent?.(
            performance.now() - started,
            batch.length,
            this.channel.pick('blixard.ClusterService', 'SendRaftMessage'),
          );
        } catch {
          this.failures += 1;
          this.dropped += batch.length;
          await new Promise((r) => setTimeout(r, this.opts.retryDelayMs));
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
