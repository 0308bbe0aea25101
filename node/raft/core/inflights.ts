/**
 * Appends sent to one follower but not yet acknowledged, by last index. Bounding them is what
 * makes pipelining safe: a slow or lossy follower cannot make the leader queue without limit.
 */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  add(lastIndex: number): void {
    if (this.full()) throw new Error('inflights: add while full');
    this.lastIndexes.push(lastIndex);
  }

  /** Forgets every append up to and including `index` (acknowledged). */
  freeUpTo(index: number): void {
    let n = 0;
    while (n < this.lastIndexes.length && (this.lastIndexes[n] ?? 0) <= index) n++;
    this.lastIndexes.splice(0, n);
  }

  /** Makes room for one more append; used when a heartbeat shows the follower alive but acks were lost. */
  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  count(): number {
    return this.lastIndexes.length;
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}
