/**
 * Incident files: a fault schedule and the workload that ran with it, as YAML. Validated against a
 * schema before anything starts; every error names the file, line, column and field.
 *
 *   name: leader isolated under writes
 *   seed: 42
 *   cluster: { nodes: 3, mode: dual }   # strategy: { raft_transport: iroh, prefer_iroh: [health] }
 *   workload: { mix: { register: 12, set: 2, vm: 1, task: 1, image: 1 }, keys: 8, duration: 20s }
 *   schedule:
 *     - { at: 2s, do: partition, kind: leader }
 *     - { at: 6s, do: heal }
 *   # or, instead of schedule:
 *   generate: { intensity: 0.5, faults: [partition, latency] }
 *   # or named packages (chaos/nemesis/packages), each in its own slot of the duration:
 *   packages: [leader-kill-under-writes, { name: transfer-under-load, transfers: 3 }]
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { LinkSpecError } from '../../hub/links/index.ts';
import { BLIXARD_MEMBERSHIPS } from '../../lab/state/index.ts';
import {
  MigrationFileSchema,
  type MigrationStrategy,
  strategyConflict,
  strategyFromFile,
  TransportModeSchema,
} from '../../node/transport/index.ts';
import { badCheckEntry, DEFAULT_SLO, type SloThresholds } from '../../scenarios/checkers/index.ts';
import { WORKLOADS, type WorkloadMix } from '../../scenarios/workloads/index.ts';
import {
  DurationSchema,
  GENERATED_FAULTS,
  generateSchedule,
  isToxicOp,
  type NemesisOp,
  NemesisOpSchema,
  namedNodes,
  PackageEntrySchema,
  PackagePlanError,
  planPackages,
  type Schedule,
  sortSchedule,
  TriggerSchema,
  toxicsFor,
} from '../nemesis/index.ts';
import { YamlFileError, yamlFileKind } from './yaml-file.ts';

const duration = DurationSchema;

const StepSchema = z.looseObject({ at: duration, when: TriggerSchema.optional() }).transform((raw, ctx) => {
  const { at, when, ...rest } = raw;
  const op = NemesisOpSchema.safeParse(rest);
  if (!op.success) {
    for (const issue of op.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
    return z.NEVER;
  }
  return { at, op: op.data, ...(when && { when }) };
});

const mixCount = z.number().int().min(0).max(64);

export const WorkloadSchema = z
  .strictObject({
    /** The one workload to run when there is no `mix` (with `clients` clients). */
    type: z.enum(WORKLOADS).default('register'),
    /** Concurrent client workers (of `type`, when there is no `mix`). */
    clients: z.number().int().min(1).max(64).default(32),
    /**
     * Workloads and their clients, e.g. { register: 12, set: 2, vm: 1, task: 1, image: 1 }; replaces
     * `type` and `clients`.
     */
    mix: z
      .strictObject({
        register: mixCount.optional(),
        set: mixCount.optional(),
        vm: mixCount.optional(),
        task: mixCount.optional(),
        image: mixCount.optional(),
        status: mixCount.optional(),
      })
      .optional(),
    /** Register keys (the set workload uses half as many sets). */
    keys: z.number().int().min(1).max(100).default(16),
    /** VM names each VM client drives. */
    vm_names: z.number().int().min(1).max(8).default(2),
    duration: duration.default(10_000),
    /** Transports the clients use (each op picks one). */
    transports: z
      .array(z.enum(['grpc', 'iroh']))
      .min(1)
      .default(['grpc', 'iroh']),
    /** Per-op deadline. */
    timeout: duration.default(2000),
    /** Upper bound on ops in the run. */
    max_ops: z.number().int().min(1).max(1_000_000).default(5000),
    /** Pause between one client's ops. */
    think: duration.default(0),
    /** The availability budget: the share of register ops that must succeed (0.9, or 90%). */
    availability: z
      .union([z.number().min(0).max(1), z.string().regex(/^\d+(\.\d+)?%$/, 'a share such as 0.9 or 90%')])
      .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) / 100))
      .refine((v) => v <= 1, 'at most 100%')
      .optional(),
  })
  .superRefine((w, ctx) => {
    if (!w.mix) return;
    const total = Object.values(w.mix).reduce((n, c) => n + (c ?? 0), 0);
    if (total < 1 || total > 64)
      ctx.addIssue({
        code: 'custom',
        path: ['mix'],
        message: `clients of all workloads must be 1..64 (got ${total})`,
      });
  });
export type Workload = z.output<typeof WorkloadSchema>;

const share = z.number().min(0).max(1);

/** Service levels the run is judged on (scenarios/checkers/slo.ts; each field defaults to DEFAULT_SLO's). */
export const SloSchema = z
  .strictObject({
    /** Largest share of ops ending in an error outside fault windows, 0..1. */
    error_rate: share.default(DEFAULT_SLO.errorRate),
    /** Largest p99 latency outside fault windows. */
    p99: duration.default(DEFAULT_SLO.p99Ms),
    /** Longest time from a heal to the first op of a transport that succeeds. */
    recovery: duration.default(DEFAULT_SLO.recoveryMs),
    /** How long after a window ends still counts as inside it. */
    settle: duration.default(DEFAULT_SLO.settleMs),
    /** Fewest ops of a transport outside faults for its levels there to be judged. */
    min_ops: z.number().int().min(1).default(DEFAULT_SLO.minOps),
    /** Levels while a fault is in place (not judged unless given). */
    under_faults: z.strictObject({ error_rate: share.optional(), p99: duration.optional() }).optional(),
  })
  .default({
    error_rate: DEFAULT_SLO.errorRate,
    p99: DEFAULT_SLO.p99Ms,
    recovery: DEFAULT_SLO.recoveryMs,
    settle: DEFAULT_SLO.settleMs,
    min_ops: DEFAULT_SLO.minOps,
  });
export type Slo = z.output<typeof SloSchema>;

/** The checker's thresholds from an incident's `slo:` block. */
export function sloOf(incident: { slo: Slo }): SloThresholds {
  const s = incident.slo;
  return {
    errorRate: s.error_rate,
    p99Ms: s.p99,
    recoveryMs: s.recovery,
    settleMs: s.settle,
    minOps: s.min_ops,
    ...(s.under_faults && {
      underFaults: { errorRate: s.under_faults.error_rate, p99Ms: s.under_faults.p99 },
    }),
  };
}

export const IncidentSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    seed: z.number().int().nonnegative().default(1),
    cluster: z
      .strictObject({
        nodes: z.number().int().min(1).max(32).default(3),
        mode: TransportModeSchema.default('dual'),
        /** As `make lab up`: docker, where nodes cannot reach each other around the hub. */
        runtime: z.enum(['process', 'docker']).default('docker'),
        /** The nodes' transport strategy, in the words of `lab up --config` (default: all gRPC). */
        strategy: MigrationFileSchema.optional(),
        /** The system under test: the lab's reference node, or the real Blixard (docker, iroh mode). */
        sut: z.enum(['reference', 'blixard-rs']).default('reference'),
        /** blixard-rs: the commit of the Blixard bundle to build and run (default: the pinned one). */
        blixard_ref: z
          .string()
          .regex(/^[0-9a-f]{7,40}$/, 'a commit hash (7 to 40 hex digits)')
          .optional(),
        /**
         * blixard-rs: `joined` (as Blixard's scripts form a cluster) or `confirmed` (then the leader adds
         * every member again, so every node's configuration lists all voters).
         */
        blixard_members: z.enum(BLIXARD_MEMBERSHIPS).optional(),
      })
      .default({ nodes: 3, mode: 'dual', runtime: 'docker', sut: 'reference' }),
    workload: WorkloadSchema.default(WorkloadSchema.parse({})),
    /** Prove every fault takes on the wire before the schedule starts. */
    self_check: z.boolean().default(true),
    /** Service levels per transport (defaults: scenarios/checkers/slo.ts DEFAULT_SLO). */
    slo: SloSchema,
    /**
     * The checkers that decide this incident's verdict (families such as `leadership`, or checker
     * names); the others still run and are kept as advisory. Default: every checker decides.
     */
    checks: z
      .array(
        z.string().superRefine((entry, ctx) => {
          const bad = badCheckEntry(entry);
          if (bad) ctx.addIssue({ code: 'custom', message: bad });
        }),
      )
      .min(1)
      .optional(),
    schedule: z.array(StepSchema).optional(),
    /** Named nemesis packages, in order, each in its own slot of the workload's duration. */
    packages: z.array(PackageEntrySchema).min(1).optional(),
    generate: z
      .strictObject({
        intensity: z.number().gt(0).max(1),
        duration: duration.optional(),
        faults: z.array(z.enum(GENERATED_FAULTS)).min(1).optional(),
        transport: z.enum(['both', 'tcp', 'udp']).default('both'),
        mean_fault: duration.optional(),
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    const given = [v.schedule, v.generate, v.packages].filter((x) => x !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give exactly one of `schedule`, `generate` or `packages`',
      });
    }
    if (v.packages) {
      try {
        planPackages({ seed: v.seed, durationMs: v.workload.duration, packages: v.packages });
      } catch (err) {
        if (!(err instanceof PackagePlanError)) throw err;
        ctx.addIssue({ code: 'custom', path: ['packages', err.index], message: err.message });
      }
    }
    if (v.cluster.sut === 'blixard-rs') {
      if (v.cluster.mode !== 'iroh')
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'mode'],
          message: 'blixard-rs is Iroh-only: mode must be iroh',
        });
      if (v.cluster.runtime !== 'docker')
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'runtime'],
          message: 'blixard-rs runs on docker only',
        });
    } else {
      for (const key of ['blixard_ref', 'blixard_members'] as const)
        if (v.cluster[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: ['cluster', key], message: `${key} needs sut: blixard-rs` });
    }
    const st = v.cluster.strategy;
    const conflict = st && strategyConflict(v.cluster.mode, strategyFromFile(st));
    if (conflict) ctx.addIssue({ code: 'custom', path: ['cluster', 'strategy'], message: conflict });
    const ids = new Set(Array.from({ length: v.cluster.nodes }, (_, i) => `n${i + 1}`));
    v.schedule?.forEach((step, i) => {
      const op = step.op;
      for (const n of namedNodes(op)) {
        if (!ids.has(n)) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedule', i, fieldNaming(op, n)],
            message: `no node '${n}' in a ${v.cluster.nodes}-node cluster`,
          });
        }
      }
      if (Array.isArray((op as { links?: unknown }).links)) {
        for (const [j, l] of (op as { links: string[] }).links.entries()) {
          const [from, to] = l.split('-');
          if ((from !== 'client' && !ids.has(from ?? '')) || !ids.has(to ?? '') || from === to)
            ctx.addIssue({ code: 'custom', path: ['schedule', i, 'links', j], message: `no link '${l}'` });
        }
      }
      if (isToxicOp(op)) {
        try {
          toxicsFor(op);
        } catch (err) {
          if (!(err instanceof LinkSpecError)) throw err;
          const field = op.do === 'toxic' ? ['toxic', ...err.field.split('.')] : [];
          ctx.addIssue({
            code: 'custom',
            path: ['schedule', i, ...field],
            message: `toxic spec: ${err.message}`,
          });
        }
      }
    });
  });

export type IncidentFile = z.output<typeof IncidentSchema>;

export interface Incident extends IncidentFile {
  /** Where it came from (a file path, or `<inline>`). */
  source: string;
}

export class IncidentError extends YamlFileError {
  constructor(source: string, problems: string[]) {
    super('incident', source, problems);
    this.name = 'IncidentError';
  }
}

const incidentFiles = yamlFileKind(IncidentSchema, (source, problems) => new IncidentError(source, problems));

/** Parses and validates an incident file's text; throws IncidentError naming line and field. */
export function parseIncident(text: string, source = '<inline>'): Incident {
  return incidentFiles.parse(text, source);
}

export function loadIncident(file: string): Promise<Incident> {
  return incidentFiles.load(file);
}

/** The workloads the incident runs and their clients: its `mix`, or `clients` of its `type`. */
export function mixOf(w: Workload): WorkloadMix {
  return w.mix ? { ...w.mix } : { [w.type]: w.clients };
}

/** The cluster's transport strategy as `Cluster.start` takes it, when the incident names one. */
export function strategyOf(incident: Incident): MigrationStrategy | undefined {
  const st = incident.cluster.strategy;
  return st === undefined ? undefined : strategyFromFile(st);
}

/** The incident's fault schedule: as written, or generated from `seed` (the file's unless given). */
export function scheduleOf(incident: Incident, seed = incident.seed): Schedule {
  if (incident.schedule) return sortSchedule(incident.schedule);
  if (incident.packages)
    return planPackages({ seed, durationMs: incident.workload.duration, packages: incident.packages });
  const g = incident.generate;
  if (!g) return [];
  return generateSchedule({
    seed,
    nodes: Array.from({ length: incident.cluster.nodes }, (_, i) => `n${i + 1}`),
    durationMs: g.duration ?? incident.workload.duration,
    intensity: g.intensity,
    transport: g.transport,
    ...(g.faults && { faults: g.faults }),
    ...(g.mean_fault !== undefined && { meanFaultMs: g.mean_fault }),
  });
}

/**
 * The incident as a file again (times in ms), e.g. a run's record: parsing it gives the same incident.
 * `seed` replaces the file's (the seed the run used).
 */
export function incidentToYaml(incident: Incident, seed = incident.seed): string {
  const { source: _source, schedule, ...rest } = incident;
  const file: Record<string, unknown> = { ...rest, seed };
  if (schedule)
    file.schedule = schedule.map((step) => ({
      at: step.at,
      ...step.op,
      ...(step.when && { when: step.when }),
    }));
  return stringify(file);
}

/** The field of an op that names node `n` (where an unknown node is reported). */
function fieldNaming(op: NemesisOp, n: string): string {
  if (op.do === 'transfer') return 'to';
  if ('links' in op && typeof op.links === 'object' && 'of' in op.links && op.links.of.includes(n))
    return 'links';
  return 'node' in op ? 'node' : 'nodes';
}
