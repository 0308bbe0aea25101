/**
 * Messages for one peer, in order, through its link: a bounded buffer drained
 * by one sender in batches. While the peer's breaker is not closed the
 * messages wait in the buffer (the oldest dropped beyond its bound, counted)
 * and go out once a health probe finds the peer back. A batch whose send fails is dropped
 * and counted: its fate at the peer is unknown, and callers such as Raft
 * retransmit what still matters.
 */
import { BoundedBuffer } from './bounded-buffer.ts';
import type { PeerLink } from './peer-link.ts';

export interface PeerQueueOptions {
  capacity: number;
  maxBatch: number;
  /** Pause after a failed send before the next try. */
  retryDelayMs: number;
}

export class PeerQueue<T> {
  readonly link: PeerLink;
  private readonly send: (batch: T[], link: PeerLink) => Promise<void>;
  private readonly opts: PeerQueueOptions;
  private readonly buffer: BoundedBuffer<T>;
  private sending = false;
  private closed = false;
  sent = 0;
  failures = 0;
  /** Messages in batches whose send failed. */
  failedMessages = 0;

  constructor(link: PeerLink, send: (batch: T[], link: PeerLink) => Promise<void>, opts: PeerQueueOptions) {
    this.link = link;
    this.send = send;
    this.opts = opts;
    this.buffer = new BoundedBuffer<T>(opts.capacity);
  }

  push(item: T): void {
    if (this.closed) return;
    this.buffer.push(item);
    if (!this.sending) void this.pump();
  }

  get queued(): number {
    return this.buffer.length;
  }

  /** Messages dropped: beyond the bound while the peer was away, or in a failed batch. */
  get dropped(): number {
    return this.buffer.dropped + this.failedMessages;
  }

  /** Dropped only because the buffer was full. */
  get overflowed(): number {
    return this.buffer.dropped;
  }

  close(): void {
    this.closed = true;
    this.buffer.clear();
  }

  private async pump(): Promise<void> {
    this.sending = true;
    try {
      // Each pass sends a batch or waits: bounded by the buffer and the link's schedule.
      while (!this.closed && this.buffer.length > 0) {
        // Not closed: the link's health probes decide when the peer is back; the buffer waits.
        if (this.link.state() !== 'closed') {
          await this.link.whenClosed();
          if (this.link.stopped) return;
          continue;
        }
        const batch = this.buffer.take(this.opts.maxBatch);
        try {
          await this.link.call(() => this.send(batch, this.link));
          this.sent += batch.length;
        } catch {
          this.failures += 1;
          this.failedMessages += batch.length;
          await new Promise((r) => setTimeout(r, this.opts.retryDelayMs));
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
