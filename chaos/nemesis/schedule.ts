/**
 * Fault schedules (pure): faults at given times, or generated from a seed at a given intensity. The
 * same seed and options always give the same schedule, so a run can be repeated from its seed.
 */
import { pick, seededRandom } from '../../node/lib/index.ts';
import { type NemesisOp, type NemesisOpInput, NemesisOpSchema } from './ops.ts';
import type { Trigger } from './packages/trigger.ts';

export interface ScheduledOp {
  /** ms after the run's start. */
  at: number;
  op: NemesisOp;
  /** Wait (bounded) for this moment before applying the op (packages aim faults with it). */
  when?: Trigger | undefined;
}

export type Schedule = ScheduledOp[];

/** Fault families the generator can draw from. */
export const GENERATED_FAULTS = [
  'partition',
  'latency',
  'loss',
  'bandwidth',
  'kill',
  'pause',
  'restart',
] as const;
export type GeneratedFault = (typeof GENERATED_FAULTS)[number];

export interface GenerateOptions {
  seed: number;
  /** Node ids, e.g. ['n1', 'n2', 'n3']. */
  nodes: readonly string[];
  /** Length of the fault phase, ms. Every fault is healed before it ends. */
  durationMs: number;
  /** 0 < intensity ≤ 1: share of the time under a fault (roughly). */
  intensity: number;
  faults?: readonly GeneratedFault[];
  /** Transports faults reach; `both` unless one is named (then faults go to that one only). */
  transport?: 'both' | 'tcp' | 'udp';
  /** Mean length of one fault, ms (default 3000). */
  meanFaultMs?: number;
}

/** A parsed op with defaults filled in, or an Error naming the field. */
export function op(input: NemesisOpInput): NemesisOp {
  return NemesisOpSchema.parse(input);
}

export function generateSchedule(options: GenerateOptions): Schedule {
  const { seed, nodes, durationMs, intensity } = options;
  if (!(intensity > 0 && intensity <= 1))
    throw new RangeError(`intensity must be in (0, 1], got ${intensity}`);
  if (!(durationMs > 0)) throw new RangeError(`durationMs must be positive, got ${durationMs}`);
  if (nodes.length === 0) throw new RangeError('no nodes');
  const faults = options.faults ?? GENERATED_FAULTS;
  if (faults.length === 0) throw new RangeError('no fault kinds to draw from');
  const transport = options.transport ?? 'both';
  const mean = options.meanFaultMs ?? 3000;
  const random = seededRandom(seed, 'nemesis-schedule');
  const uniform = (lo: number, hi: number) => lo + random() * (hi - lo);
  // Quiet gaps sized so that faults fill about `intensity` of the time.
  const meanGap = (mean * (1 - intensity)) / intensity;

  const out: Schedule = [];
  let t = Math.round(uniform(0, Math.min(meanGap, durationMs / 4)));
  for (;;) {
    const length = Math.round(uniform(0.5, 1.5) * mean);
    if (t + length > durationMs) break;
    const kind = pick(random, faults);
    const node = pick(random, nodes);
    const [fault, recover] = faultPair(kind, node, transport, random, nodes.length);
    out.push({ at: t, op: fault }, { at: t + length, op: recover });
    t += length + Math.round(uniform(0.5, 1.5) * meanGap) + 100;
  }
  return out;
}

function faultPair(
  kind: GeneratedFault,
  node: string,
  transport: 'both' | 'tcp' | 'udp',
  next: () => number,
  nodeCount: number,
): [NemesisOp, NemesisOp] {
  const heal = op({ do: 'heal' });
  switch (kind) {
    case 'partition': {
      const kinds =
        nodeCount >= 3 ? (['isolate', 'halves', 'majority-ring', 'bridge'] as const) : (['isolate'] as const);
      const k = kinds[Math.floor(next() * kinds.length)] ?? 'isolate';
      return [op({ do: 'partition', kind: k, node, transport }), heal];
    }
    case 'latency':
      return [
        op({ do: 'latency', ms: 20 + Math.floor(next() * 180), jitter: Math.floor(next() * 20), transport }),
        heal,
      ];
    case 'loss':
      // Loss exists on UDP only; a TCP-only run gets latency instead.
      return transport === 'tcp'
        ? [op({ do: 'latency', ms: 50, transport }), heal]
        : [op({ do: 'loss', probability: Math.round((0.05 + next() * 0.25) * 100) / 100 }), heal];
    case 'bandwidth':
      return [op({ do: 'bandwidth', rate: 50 + Math.floor(next() * 450), transport }), heal];
    case 'kill':
      return [op({ do: 'kill', node }), op({ do: 'start', node })];
    case 'pause':
      return [op({ do: 'pause', node }), op({ do: 'resume', node })];
    case 'restart':
      // A restart is its own recovery; the pair keeps the schedule's rhythm.
      return [op({ do: 'restart', node }), heal];
  }
}

/** Ops sorted by time (stable), after checking times are non-negative. */
export function sortSchedule(schedule: Schedule): Schedule {
  for (const s of schedule) if (!(s.at >= 0)) throw new RangeError(`schedule time ${s.at} is negative`);
  return schedule
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.at - b.s.at || a.i - b.i)
    .map(({ s }) => s);
}
