/**
 * Which chunk to ask which holder for next — pure, so the retry rules are
 * testable without a network. Chunks start spread over the holders (chunk i
 * at holder i mod n) so parallel requests share the load. A chunk that
 * failed its hash check is asked of the next holder that has not yet sent a
 * bad copy of it (a holder whose disk is corrupt would send the same bytes
 * again); one that got no answer goes to the next holder in turn. Every chunk
 * has a bounded number of attempts, after which it is given up.
 */
export interface ChunkTask {
  index: number;
  holder: string;
  attempt: number;
}

interface ChunkState {
  attempts: number;
  badFrom: Set<string>;
  nextHolder: number;
}

export class ChunkPlan {
  readonly holders: readonly string[];
  private readonly maxAttempts: number;
  private readonly waiting: number[] = [];
  private readonly states = new Map<number, ChunkState>();
  private inFlight = 0;
  readonly done = new Set<number>();
  readonly givenUp = new Set<number>();

  constructor(missing: readonly number[], holders: readonly string[], maxAttemptsPerChunk: number) {
    if (holders.length === 0) throw new Error('no holder to fetch from');
    this.holders = holders;
    this.maxAttempts = maxAttemptsPerChunk;
    for (const index of missing) {
      this.waiting.push(index);
      this.states.set(index, { attempts: 0, badFrom: new Set(), nextHolder: index % holders.length });
    }
  }

  /** The next request to make, or undefined when no chunk is waiting (all done, in flight or given up). */
  next(): ChunkTask | undefined {
    for (;;) {
      const index = this.waiting.shift();
      if (index === undefined) return undefined;
      const s = this.states.get(index) as ChunkState;
      const holder = this.pickHolder(s);
      if (holder === undefined || s.attempts >= this.maxAttempts) {
        this.givenUp.add(index);
        continue;
      }
      s.attempts += 1;
      this.inFlight += 1;
      return { index, holder, attempt: s.attempts };
    }
  }

  succeeded(task: ChunkTask): void {
    this.inFlight -= 1;
    this.done.add(task.index);
  }

  /** The holder sent bytes that do not match the chunk's hash. */
  rejected(task: ChunkTask): void {
    this.inFlight -= 1;
    const s = this.states.get(task.index) as ChunkState;
    s.badFrom.add(task.holder);
    this.waiting.push(task.index);
  }

  /** No usable answer (unreachable, deadline, error): try again, at the next holder. */
  failed(task: ChunkTask): void {
    this.inFlight -= 1;
    this.waiting.push(task.index);
  }

  get finished(): boolean {
    return this.waiting.length === 0 && this.inFlight === 0;
  }

  private pickHolder(s: ChunkState): string | undefined {
    for (let k = 0; k < this.holders.length; k++) {
      const i = (s.nextHolder + k) % this.holders.length;
      const h = this.holders[i] as string;
      if (!s.badFrom.has(h)) {
        s.nextHolder = (i + 1) % this.holders.length;
        return h;
      }
    }
    return undefined;
  }
}
