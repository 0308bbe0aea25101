/**
 * Sends datagrams at a later time with one timer for the whole proxy (a min-heap by due time),
 * instead of a timer per datagram. No timer exists while nothing is delayed.
 */
import { performance } from 'node:perf_hooks';

export interface DelayedSend {
  dueAt: number;
  /** Tie-break so datagrams due at the same ms leave in the order they were scheduled. */
  seq: number;
  run: () => void;
}

export class SendScheduler {
  readonly #heap: DelayedSend[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerDueAt = Number.POSITIVE_INFINITY;

  get pending(): number {
    return this.#heap.length;
  }

  at(dueAt: number, run: () => void): void {
    this.#push({ dueAt, seq: this.#seq++, run });
    this.#arm();
  }

  /** Drops everything pending (proxy removed or reset). */
  clear(): void {
    this.#heap.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerDueAt = Number.POSITIVE_INFINITY;
  }

  #arm(): void {
    const first = this.#heap[0];
    if (!first || first.dueAt >= this.#timerDueAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDueAt = first.dueAt;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, Math.ceil(first.dueAt - performance.now())));
  }

  #fire(): void {
    this.#timer = null;
    this.#timerDueAt = Number.POSITIVE_INFINITY;
    // Never early: an injected delay must show in full in the measured RTT.
    const now = performance.now();
    for (let next = this.#heap[0]; next && next.dueAt <= now; next = this.#heap[0]) {
      this.#pop();
      next.run();
    }
    this.#arm();
  }

  #less(a: DelayedSend, b: DelayedSend): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }

  #push(item: DelayedSend): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as DelayedSend;
      if (!this.#less(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      let child = left;
      if (right < heap.length && this.#less(heap[right] as DelayedSend, heap[left] as DelayedSend))
        child = right;
      const c = heap[child] as DelayedSend;
      if (!this.#less(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
  }
}
