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
 */
import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { LinkSpecError } from '../../hub/links/index.ts';
import {
  MigrationFileSchema,
  type MigrationStrategy,
  strategyConflict,
  strategyFromFile,
  TransportModeSchema,
} from '../../node/transport/index.ts';
import { WORKLOADS, type WorkloadMix } from '../../scenarios/workloads/index.ts';
import {
  GENERATED_FAULTS,
  generateSchedule,
  isToxicOp,
  NemesisOpSchema,
  parseDuration,
  type Schedule,
  sortSchedule,
  toxicsFor,
} from '../nemesis/index.ts';

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const StepSchema = z.looseObject({ at: duration }).transform((raw, ctx) => {
  const { at, ...rest } = raw;
  const op = NemesisOpSchema.safeParse(rest);
  if (!op.success) {
    for (const issue of op.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
    return z.NEVER;
  }
  return { at, op: op.data };
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
      })
      .default({ nodes: 3, mode: 'dual', runtime: 'docker', sut: 'reference' }),
    workload: WorkloadSchema.default(WorkloadSchema.parse({})),
    /** Prove every fault takes on the wire before the schedule starts. */
    self_check: z.boolean().default(true),
    schedule: z.array(StepSchema).optional(),
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
    if ((v.schedule === undefined) === (v.generate === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of `schedule` or `generate`' });
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
    } else if (v.cluster.blixard_ref !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'blixard_ref'],
        message: 'blixard_ref needs sut: blixard-rs',
      });
    }
    const st = v.cluster.strategy;
    const conflict = st && strategyConflict(v.cluster.mode, strategyFromFile(st));
    if (conflict) ctx.addIssue({ code: 'custom', path: ['cluster', 'strategy'], message: conflict });
    const ids = new Set(Array.from({ length: v.cluster.nodes }, (_, i) => `n${i + 1}`));
    v.schedule?.forEach((step, i) => {
      const op = step.op;
      const nodes = [
        ...('node' in op && op.node !== undefined && op.node !== 'leader' ? [op.node] : []),
        ...(op.do === 'mode-change' ? (op.nodes ?? []) : []),
      ];
      for (const n of nodes) {
        if (!ids.has(n)) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedule', i, op.do === 'mode-change' ? 'nodes' : 'node'],
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

export class IncidentError extends Error {
  /** Each problem as `file:line:col: field: reason`. */
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid incident file ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'IncidentError';
    this.problems = problems;
  }
}

/** Parses and validates an incident file's text; throws IncidentError naming line and field. */
export function parseIncident(text: string, source = '<inline>'): Incident {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new IncidentError(
      source,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `${source}:${pos.line}:${pos.col}: YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  const parsed = IncidentSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new IncidentError(
      source,
      parsed.error.issues.map((issue) => {
        const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        let message = issue.message;
        if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) {
          // Point at the stray key itself.
          path.push(issue.keys[0] as string);
          message = 'unknown field';
        } else if (/received undefined$/.test(message)) {
          message = `required: ${message.replace(/, received undefined$/, '').replace(/^Invalid input: /, '')}`;
        }
        const { line, col } = position(doc, lines, path);
        return `${source}:${line}:${col}: ${fieldName(path)}: ${message}`;
      }),
    );
  }
  return { ...parsed.data, source };
}

export async function loadIncident(file: string): Promise<Incident> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new IncidentError(file, [`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`]);
  }
  return parseIncident(text, file);
}

/** The deepest node that exists on the path (a missing field points at its parent). */
function position(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: (string | number)[],
): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      // For a map key's value, point at the key when there is one.
      const keyNode = n > 0 ? findKeyNode(doc, path.slice(0, n)) : undefined;
      const offset = keyNode?.range?.[0] ?? node.range[0];
      return lines.linePos(offset);
    }
  }
  return { line: 1, col: 1 };
}

function findKeyNode(doc: ReturnType<typeof parseDocument>, path: (string | number)[]) {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (!parent || typeof parent !== 'object' || !('items' in parent) || typeof last !== 'string')
    return undefined;
  for (const item of (parent as { items: unknown[] }).items) {
    const key = (item as { key?: unknown }).key;
    if (isNode(key) && (key as { value?: unknown }).value === last) return key;
  }
  return undefined;
}

function fieldName(path: (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
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
  if (schedule) file.schedule = schedule.map((step) => ({ at: step.at, ...step.op }));
  return stringify(file);
}
