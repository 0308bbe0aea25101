/**
 * Package schedules (pure): each package occurrence gets an equal slot of the run's fault phase (the
 * duration less a quiet tail), in the order the incident lists them, and plans its ops inside its slot with a seeded offset; every
 * fault it makes is recovered within its slot. Nodes are named by role (`leader`, `follower`,
 * `previous`) and resolved when the op runs, so the plan is the same whoever leads.
 */
import { type Random, seededRandom } from '../../../node/lib/index.ts';
import { op, type Schedule, type ScheduledOp } from '../schedule.ts';
import type { NemesisPackage, PackageName } from './catalog.ts';

export interface PlanPackagesOptions {
  seed: number;
  /** Length of the fault phase, ms. */
  durationMs: number;
  packages: readonly NemesisPackage[];
}

export class PackagePlanError extends Error {
  override name = 'PackagePlanError';
  /** The package's index in the incident's list. */
  readonly index: number;
  constructor(index: number, message: string) {
    super(message);
    this.index = index;
  }
}

/** One occurrence's ops from its slot's start, and the time it needs (its faults healed inside). */
interface Planned {
  span: number;
  steps: ScheduledOp[];
}

type Planner<P> = (p: P) => Planned;
const PLANNERS: { [N in PackageName]: Planner<Extract<NemesisPackage, { name: N }>> } = {
  'leader-kill-under-writes': (p) => {
    const when = { on: 'writes-open', min: p.min_writes, within: 3000 } as const;
    const back = p.fault === 'kill' ? 'start' : 'resume';
    // The recovery waits out the trigger's bound too: the node stays down for at least `down`.
    return {
      span: when.within + p.down + 500,
      steps: [
        { at: 0, op: op({ do: p.fault, node: 'leader' }), when },
        { at: when.within + p.down, op: op({ do: back, node: 'previous' }) },
      ],
    };
  },
  'leader-minority-clients': (p) => {
    const when = { on: 'writes-open', min: 1, within: 2000 } as const;
    return {
      span: when.within + p.hold + 500,
      steps: [
        { at: 0, op: op({ do: 'partition', kind: 'leader-clients' }), when },
        { at: when.within + p.hold, op: op({ do: 'heal' }) },
      ],
    };
  },
  'restart-after-vote': (p) => ({
    // The leader cut off makes the others elect; the first one seen granting its vote restarts.
    span: p.within + p.hold + 500,
    steps: [
      { at: 0, op: op({ do: 'partition', kind: 'leader' }) },
      { at: 1, op: op({ do: 'restart', node: 'follower' }), when: { on: 'vote', within: p.within } },
      { at: p.within + p.hold, op: op({ do: 'heal' }) },
    ],
  }),
  'membership-under-partition': (p) => {
    const removeAt = Math.round(p.hold / 3);
    return {
      span: p.hold + 1500,
      steps: [
        { at: 0, op: op({ do: 'partition', kind: 'isolate', node: 'follower' }) },
        { at: removeAt, op: op({ do: 'leave', node: 'previous' }) },
        { at: p.hold, op: op({ do: 'heal' }) },
        { at: p.hold + 500, op: op({ do: 'join', node: 'previous' }) },
      ],
    };
  },
  'transfer-under-load': (p) => {
    const when = { on: 'writes-open', min: p.min_writes, within: 2000 } as const;
    // Transfers a few seconds apart, so each new leader has settled before the next.
    const gap = when.within + 2000;
    return {
      span: p.transfers * gap,
      steps: Array.from({ length: p.transfers }, (_, i) => ({
        at: i * gap,
        op: op({ do: 'transfer', to: 'follower' }),
        when,
      })),
    };
  },
};

/**
 * The run's last stretch is left quiet, so the samplers see the healed cluster converge (the Raft
 * judge looks up to 10 s after the last heal): 10 s, or a quarter of a short run.
 */
export function faultPhaseMs(durationMs: number): number {
  return durationMs - Math.min(10_000, durationMs / 4);
}

export function planPackages(o: PlanPackagesOptions): Schedule {
  if (!(o.durationMs > 0)) throw new RangeError(`durationMs must be positive, got ${o.durationMs}`);
  const occurrences = o.packages.flatMap((p, index) =>
    Array.from({ length: p.count }, (_, k) => ({ p, index, k })),
  );
  if (occurrences.length === 0) return [];
  const slot = faultPhaseMs(o.durationMs) / occurrences.length;
  const out: Schedule = [];
  occurrences.forEach(({ p, index, k }, i) => {
    const planned = planOne(p);
    if (planned.span > slot)
      throw new PackagePlanError(
        index,
        `${p.name} needs ${(planned.span / 1000).toFixed(1)} s per occurrence; ${occurrences.length} occurrence(s) in ${(faultPhaseMs(o.durationMs) / 1000).toFixed(1)} s of faults leave ${(slot / 1000).toFixed(1)} s each (lengthen the workload's duration or lower count)`,
      );
    const random: Random = seededRandom(o.seed, 'package', p.name, String(k));
    const start = Math.round(i * slot + random() * (slot - planned.span));
    for (const s of planned.steps) out.push({ ...s, at: start + s.at });
  });
  return out;
}

function planOne(p: NemesisPackage): Planned {
  return (PLANNERS[p.name] as Planner<NemesisPackage>)(p);
}
