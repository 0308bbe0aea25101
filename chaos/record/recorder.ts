/**
 * One run's record under runs/<id>/: config, seed, events.jsonl (faults, heals, restarts, mode
 * changes, the self-check), history.jsonl (every client operation), samples.jsonl (what the samplers
 * saw of every node), node logs, a metrics snapshot and the verdict. Lines are appended in the order things happen; times are ms since the run started.
 */

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkloadEntry } from '../../scenarios/workloads/index.ts';
import type { NemesisOp } from '../nemesis/index.ts';

export type EventKind =
  | 'run-start'
  | 'self-check'
  | 'workload-start'
  | 'fault'
  | 'heal'
  | 'restart'
  | 'mode-change'
  | 'rollout'
  | 'rollout-step'
  | 'rollout-breach'
  | 'rollout-rollback'
  | 'nemesis-error'
  | 'workload-end'
  | 'quiet'
  | 'quiet-end'
  | 'run-end';

export interface RunEvent {
  seq: number;
  /** ms since the run started. */
  t: number;
  wall: string;
  kind: EventKind;
  /** The schedule's time for this op (ms), when it came from a schedule. */
  at?: number | undefined;
  op?: NemesisOp | undefined;
  /** What the op resolved to: links cut, the node it hit, how long it took... */
  detail?: Record<string, unknown> | undefined;
}

export class RunRecorder {
  readonly id: string;
  readonly dir: string;
  readonly seed: number;
  readonly #started = performance.now();
  readonly #events: WriteStream;
  readonly #history: WriteStream;
  readonly #samples: WriteStream;
  #seq = 0;
  readonly #eventList: RunEvent[] = [];
  readonly #historyList: WorkloadEntry[] = [];

  private constructor(id: string, dir: string, seed: number) {
    this.id = id;
    this.dir = dir;
    this.seed = seed;
    this.#events = createWriteStream(join(dir, 'events.jsonl'), { flags: 'a' });
    this.#history = createWriteStream(join(dir, 'history.jsonl'), { flags: 'a' });
    this.#samples = createWriteStream(join(dir, 'samples.jsonl'), { flags: 'a' });
  }

  static async create(options: { dir: string; id: string; seed: number }): Promise<RunRecorder> {
    await mkdir(options.dir, { recursive: true });
    await writeFile(join(options.dir, 'seed'), `${options.seed}\n`);
    return new RunRecorder(options.id, options.dir, options.seed);
  }

  /** ms since the run started. */
  now(): number {
    return Math.round((performance.now() - this.#started) * 1000) / 1000;
  }

  event(
    kind: EventKind,
    fields: { at?: number; op?: NemesisOp; detail?: Record<string, unknown> } = {},
  ): RunEvent {
    const e: RunEvent = { seq: this.#seq++, t: this.now(), wall: new Date().toISOString(), kind, ...fields };
    this.#eventList.push(e);
    this.#events.write(`${JSON.stringify(e)}\n`);
    return e;
  }

  history(entry: WorkloadEntry): void {
    this.#historyList.push(entry);
    this.#history.write(`${JSON.stringify(entry)}\n`);
  }

  /** One sample line (samples.jsonl): written as it comes, not kept in memory. */
  sample(sample: object): void {
    this.#samples.write(`${JSON.stringify(sample)}\n`);
  }

  get events(): readonly RunEvent[] {
    return this.#eventList;
  }

  get operations(): readonly WorkloadEntry[] {
    return this.#historyList;
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await writeFile(join(this.dir, name), `${JSON.stringify(value, null, 2)}\n`);
  }

  async writeText(name: string, text: string): Promise<void> {
    const path = join(this.dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
  }

  /** Waits until every sample written so far is in samples.jsonl (so the judges can read it back). */
  flushSamples(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#samples.write('', (err) => (err ? reject(err) : resolve())),
    );
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.#events, this.#history, this.#samples].map(
        (s) => new Promise<void>((resolve) => s.end(() => resolve())),
      ),
    );
  }
}

async function readJsonl<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`${file}:${i + 1}: not JSON`);
      }
    });
}

export function readEvents(dir: string): Promise<RunEvent[]> {
  return readJsonl<RunEvent>(join(dir, 'events.jsonl'));
}

export function readHistory(dir: string): Promise<WorkloadEntry[]> {
  return readJsonl<WorkloadEntry>(join(dir, 'history.jsonl'));
}

export function readSamples<T = Record<string, unknown>>(dir: string): Promise<T[]> {
  return readJsonl<T>(join(dir, 'samples.jsonl'));
}

const NEMESIS_KINDS: ReadonlySet<EventKind> = new Set(['fault', 'heal', 'restart', 'mode-change']);

/**
 * What must repeat when a run is replayed from its seed: the nemesis' events in order, with their
 * scheduled times, ops and the links or nodes they resolved to — not wall times or durations.
 */
export function eventSignature(events: readonly RunEvent[]): string[] {
  return events
    .filter((e) => NEMESIS_KINDS.has(e.kind))
    .map((e) => {
      const d = e.detail ?? {};
      const resolved = {
        cut: d.cut,
        links: d.links,
        node: d.node,
        transports: d.transports,
        toxics: d.toxics,
      };
      return JSON.stringify({ kind: e.kind, at: e.at, op: e.op, resolved });
    });
}
