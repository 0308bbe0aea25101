/**
 * A FIFO with a fixed capacity that drops its oldest items when full and
 * counts them: what a peer that is down may cost is bounded memory and a
 * visible drop count, never an unbounded queue.
 */
export class BoundedBuffer<T> {
  readonly capacity: number;
  private items: T[] = [];
  dropped = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`buffer capacity ${capacity} must be ≥ 1`);
    this.capacity = capacity;
  }

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) {
      const excess = this.items.length - this.capacity;
      this.items.splice(0, excess);
      this.dropped += excess;
    }
  }

  /** Removes and returns up to `max` items from the front. */
  take(max: number): T[] {
    return this.items.splice(0, Math.max(0, max));
  }

  /** Drops everything still queued, counting it. */
  clear(): void {
    this.dropped += this.items.length;
    this.items = [];
  }
}
