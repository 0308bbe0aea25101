import { Inflights } from './inflights.ts';

/**
 * How the leader replicates to one peer:
 * - probe: the match point is unknown; send one append at a time and back off on reject;
 * - replicate: the follower is in sync; stream appends optimistically up to the inflight limit;
 * - snapshot: a snapshot is on its way; send nothing until it is acknowledged.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append is outstanding, wait for its answer (or a heartbeat) first. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** The leader's tick count when this peer last answered (check-quorum). */
  lastHeardAt = 0;
  /** Whether this peer has answered this leader at all. */
  heard = false;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = snapshotIndex;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** An acknowledged index; returns whether it moved the match point. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Optimistically assumes an append up to `lastSent` will succeed (replicate state). */
  sentEntries(lastSent: number): void {
    if (this.state === 'replicate') {
      this.next = lastSent + 1;
      this.inflights.add(lastSent);
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * A rejected append at `rejected`; `hint` is where the follower thinks the logs may agree.
   * Returns false for a stale rejection (for an append we have already moved past).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
