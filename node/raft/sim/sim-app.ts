import type { Entry } from '../core/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The simulation's replicated state machine: the set of write ids applied so far. A read returns
 * the whole set, so the checker can see exactly which writes it reflects.
 */
export class SimApp {
  writes = new Set<string>();
  appliedIndex = 0;

  apply(entry: Entry): void {
    if (entry.index !== this.appliedIndex + 1) {
      throw new Error(`sim app: applying ${entry.index} after ${this.appliedIndex}`);
    }
    this.appliedIndex = entry.index;
    if (entry.type === 'normal' && entry.data.length > 0) this.writes.add(decoder.decode(entry.data));
  }

  snapshotData(): Uint8Array {
    return encoder.encode(JSON.stringify({ index: this.appliedIndex, writes: [...this.writes] }));
  }

  /** Restores from snapshot data; empty data is the initial (bootstrap) state at `index`. */
  restore(data: Uint8Array, index: number): void {
    if (data.length === 0) {
      this.writes = new Set();
      this.appliedIndex = index;
      return;
    }
    const parsed = JSON.parse(decoder.decode(data)) as { index: number; writes: string[] };
    if (parsed.index !== index)
      throw new Error(`sim app: snapshot data at ${parsed.index}, meta says ${index}`);
    this.writes = new Set(parsed.writes);
    this.appliedIndex = index;
  }
}

export function writeData(writeId: string): Uint8Array {
  return encoder.encode(writeId);
}
