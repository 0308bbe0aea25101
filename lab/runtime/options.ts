/**
 * What `Cluster.start` accepts, validated in one place (the CLI and scenarios share it): a bad value
 * is reported before anything starts.
 */

import { z } from 'zod';
import type { BlixardSource } from '../../images/index.ts';
import {
  type MigrationStrategy,
  MigrationStrategySchema,
  strategyConflict,
  type TransportMode,
  TransportModeSchema,
} from '../../node/transport/index.ts';
import {
  type BlixardMembership,
  type ClusterState,
  type RuntimeKind,
  SUTS,
  type SutName,
} from '../state/index.ts';
import { MAX_NODES } from '../topology/index.ts';

export interface ClusterOptions {
  nodes: number;
  runtime: RuntimeKind;
  mode: TransportMode;
  /** The system under test (default: the reference node). blixard-rs runs on docker, in iroh mode. */
  sut?: SutName | undefined;
  /** blixard-rs: which Blixard to build and run (default: the pinned commit of the bundle). */
  blixard?: BlixardSource | undefined;
  /**
   * blixard-rs: how membership is made. `joined` (default): each node joins with the first node's
   * ticket, as Blixard's own scripts do. `confirmed`: then the leader is asked, with Blixard's own
   * `cluster join`, to add every member again, so each node's running Raft configuration holds every
   * voter (a joining node misses the conf changes committed before it caught up).
   */
  blixardMembers?: BlixardMembership | undefined;
  strategy?: MigrationStrategy | undefined;
  /** Node image (docker runtime); default: the image images/ builds. */
  image?: string | undefined;
  /** Where configs, data dirs and logs go (process runtime: data dirs; docker: configs and logs). */
  workDir?: string | undefined;
  runId?: string | undefined;
  /** Seed for the hub's toxics. */
  seed?: number | undefined;
  /** Progress lines for long steps. */
  onProgress?: ((message: string) => void) | undefined;
  /** How long to wait for every node to answer HealthCheck (default 60 s). */
  healthTimeoutMs?: number | undefined;
  /** Called with the run's state whenever it changes during start (so a crash can be cleaned up). */
  onState?: ((state: ClusterState) => void) | undefined;
  /** Aborting stops the start between steps; what was made is removed. */
  signal?: AbortSignal | undefined;
  /** The state file that will remember the run after this process exits (`lab up`). */
  stateFile?: string | undefined;
  /** Start Prometheus next to the cluster: docker runtime unless false; process runtime when true (it runs in a container). */
  prometheus?: boolean | undefined;
}

export const ClusterShapeSchema = z
  .strictObject({
    nodes: z.number().int().min(1).max(MAX_NODES),
    runtime: z.enum(['docker', 'process']),
    mode: TransportModeSchema,
    sut: z.enum(SUTS as [SutName, ...SutName[]]).optional(),
    strategy: MigrationStrategySchema.optional(),
    image: z.string().min(1).optional(),
    seed: z.number().int().optional(),
  })
  .superRefine((v, ctx) => {
    const conflict = v.strategy && strategyConflict(v.mode, v.strategy);
    if (conflict) ctx.addIssue({ code: 'custom', path: ['strategy'], message: conflict });
    if (v.sut === 'blixard-rs') {
      if (v.runtime !== 'docker')
        ctx.addIssue({
          code: 'custom',
          path: ['runtime'],
          message: 'blixard-rs runs on the docker runtime only',
        });
      if (v.mode !== 'iroh')
        ctx.addIssue({
          code: 'custom',
          path: ['mode'],
          message: 'blixard-rs is Iroh-only: mode must be iroh',
        });
      if (v.strategy !== undefined)
        ctx.addIssue({ code: 'custom', path: ['strategy'], message: 'blixard-rs has no migration strategy' });
    }
  });

/** Throws a LabError('usage') naming each bad field. */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `  - ${i.path.length > 0 ? i.path.map(String).join('.') : '(top level)'}: ${i.message}`)
    .join('\n');
}
