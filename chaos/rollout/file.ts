/**
 * Rollout files: the migration as ordered steps, each naming the nodes it reaches (a count, a list, a
 * percentage of the cluster rounded up, or all) and what they change to, a watch window and the gates
 * the window must pass. Validated like incident files: every problem as `file:line:col: field: reason`.
 *
 *   name: canary to Iroh
 *   watch: 10s
 *   gates: { error_rate: 1%, p99: 500ms, raft_p99: 50ms, election_stability: 99%, fallback_rate: 5% }
 *   steps:
 *     - { name: 5%, nodes: 5%, prefer_iroh: all, raft_transport: iroh }
 *     - { name: 25%, nodes: 25%, prefer_iroh: all, raft_transport: iroh }
 */
import { z } from 'zod';
import { MIGRATION_THRESHOLDS } from '../../dashboards/prometheus/index.ts';
import {
  RaftTransportFileSchema,
  SERVICE_GROUPS,
  ServiceGroupSchema,
  TransportModeSchema,
} from '../../node/transport/index.ts';
import { DurationSchema as duration } from '../nemesis/index.ts';
import { YamlFileError, yamlFileKind } from '../schedule/index.ts';

/** A share: 0.01, or `1%`. */
const share = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : /^\d+(\.\d+)?%$/.test(v) ? Number(v.slice(0, -1)) / 100 : Number.NaN;
  if (!(n >= 0 && n <= 1)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a share such as 0.01 or 1% (got ${JSON.stringify(v)})`,
    });
    return z.NEVER;
  }
  return n;
});

/** Which nodes a step reaches: `all`, a count, `25%` of the cluster (rounded up, at least one), or ids. */
export const NodeSelectorSchema = z.union([
  z.literal('all'),
  z.number().int().min(1),
  z.string().regex(/^\d+(\.\d+)?%$/, 'a count, a percentage such as 25%, all, or a list of node ids'),
  z.array(z.string().regex(/^n\d+$/, 'a node id such as n1')).min(1),
]);
export type NodeSelector = z.infer<typeof NodeSelectorSchema>;

/** A gate's limit, or `off`: not judged (its shared default dropped too). */
const orOff = (limit: z.ZodType<number, number | string>) =>
  z.union([z.number(), z.string()]).transform((v, ctx): number | null => {
    if (v === 'off') return null;
    const r = limit.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
    return z.NEVER;
  });

/** A gate's limits; each omitted one takes its default, `off` drops it. Defaults: the shared thresholds. */
export const GatesSchema = z.strictObject({
  /** Per service group and transport: failed calls (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN) over all, at most. */
  error_rate: orOff(share).optional(),
  /** Per service group and transport: p99 of the calls served, at most. */
  p99: orOff(duration).optional(),
  /** Share of samples with one leader and no term change, at least. */
  election_stability: orOff(share).optional(),
  /** Calls retried over gRPC after Iroh failed, over all outgoing calls, at most. */
  fallback_rate: orOff(share).optional(),
  /** p99 of Raft message round trips, per transport, at most. */
  raft_p99: orOff(duration).optional(),
  /**
   * Canary against baseline, in one window on one host: p99 over Iroh at most this many times the p99
   * over gRPC (each at least 50 ms), per side and group and for Raft messages. A loaded host slows
   * both transports; a fault on the Iroh path slows one.
   */
  iroh_p99_ratio: orOff(z.number().positive()).optional(),
  /** A group and transport with fewer calls in the window is not judged (too few to say). */
  min_calls: z.number().int().min(1).optional(),
});
type GateLimits = z.output<typeof GatesSchema>;

/** The limits a step is judged by: a number for each gate judged. */
export interface Gates {
  error_rate?: number | undefined;
  p99?: number | undefined;
  election_stability?: number | undefined;
  fallback_rate?: number | undefined;
  raft_p99?: number | undefined;
  iroh_p99_ratio?: number | undefined;
  min_calls: number;
}

export const DEFAULT_GATES: Gates = {
  error_rate: MIGRATION_THRESHOLDS.irohErrorRatio,
  election_stability: MIGRATION_THRESHOLDS.electionStability,
  fallback_rate: MIGRATION_THRESHOLDS.fallbackRatio,
  raft_p99: MIGRATION_THRESHOLDS.raftMessageP99Ms,
  min_calls: 20,
};

const preferIroh = z.union([z.literal('all'), z.array(ServiceGroupSchema)]).transform((v) =>
  // `all`: every group but raft, which has its own rule (raft_transport).
  v === 'all' ? SERVICE_GROUPS.filter((g) => g !== 'raft') : v,
);

export const StepSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    nodes: NodeSelectorSchema,
    mode: TransportModeSchema.optional(),
    prefer_iroh: preferIroh.optional(),
    raft_transport: RaftTransportFileSchema.optional(),
    fallback_to_grpc: z.boolean().optional(),
    /** How long the gates watch after the step is in place (default: the file's). */
    watch: duration.optional(),
    /** Limits for this step, over the file's. */
    gates: GatesSchema.optional(),
  })
  .refine(
    (s) =>
      s.mode !== undefined ||
      s.prefer_iroh !== undefined ||
      s.raft_transport !== undefined ||
      s.fallback_to_grpc !== undefined,
    { message: 'a step changes something: mode, prefer_iroh, raft_transport or fallback_to_grpc' },
  );
export type RolloutStep = z.output<typeof StepSchema>;

export const RolloutSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** The order nodes are reached in is drawn from it, unless `order` gives it. */
  seed: z.number().int().nonnegative().default(1),
  order: z
    .array(z.string().regex(/^n\d+$/, 'a node id such as n1'))
    .min(1)
    .optional(),
  watch: duration.default(10_000),
  /**
   * Between a step in place and its watch window: the first calls over a transport not used before
   * (handshakes, name lookups) are not what the gates are for.
   */
  settle: duration.default(2000),
  /** Pause between the samples the gates read (metrics scrapes of every node). */
  sample_every: duration.default(1000),
  gates: GatesSchema.optional(),
  steps: z.array(StepSchema).min(1),
});
export type RolloutFile = z.output<typeof RolloutSchema>;

/** A rollout file as read: its data and where it came from. */
export type Rollout = RolloutFile & { source: string };

export class RolloutError extends YamlFileError {
  override name = 'RolloutError';
}

/** `parseRollout(text, source)` and `loadRollout(file)`: every problem thrown as one RolloutError. */
export const { parse: parseRollout, load: loadRollout } = yamlFileKind(
  RolloutSchema,
  (source, problems) => new RolloutError('rollout', source, problems),
);

/** A step's gates: the defaults, the file's, then the step's own; `off` drops one. */
export function gatesOf(rollout: RolloutFile, step: RolloutStep): Gates {
  const merged: Record<string, number | null> = { ...DEFAULT_GATES };
  for (const layer of [rollout.gates, step.gates] as (GateLimits | undefined)[])
    for (const [k, v] of Object.entries(layer ?? {})) if (v !== undefined) merged[k] = v;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(merged)) if (v !== null) out[k] = v;
  return out as unknown as Gates;
}
