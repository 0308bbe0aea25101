/**
 * The node's TOML config, as a zod schema: the node contract of DESIGN.md.
 * Unknown keys are errors (a typo must not silently fall back to a default).
 */
import { availableParallelism, totalmem } from 'node:os';
import { z } from 'zod';
import {
  MigrationFileSchema,
  strategyConflict,
  strategyFromFile,
  TransportModeSchema,
} from '../transport/index.ts';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/, 'expected host:port')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

const irohNodeId = z
  .string()
  .regex(/^([0-9a-f]{64}|[a-z2-7]{52})$/, 'expected an Iroh node id (64 hex or 52 base32 characters)');

const peer = z.strictObject({
  id: z.string().min(1),
  grpc: hostPort.optional(),
  iroh_id: irohNodeId.optional(),
  iroh_addrs: z.array(hostPort).default([]),
});

export const NodeConfigSchema = z
  .strictObject({
    node: z.strictObject({
      id: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only, not starting with a symbol'),
      data_dir: z.string().min(1),
    }),
    transport: z
      .strictObject({
        mode: TransportModeSchema.default('dual'),
        grpc: z.strictObject({ bind_address: hostPort.default('0.0.0.0:7001') }).prefault({}),
        iroh: z
          .strictObject({
            bind_address: hostPort.default('0.0.0.0:7002'),
            secret_key_file: z.string().default('iroh_secret.key'),
            relay: z.union([z.literal('disabled'), z.array(z.url()).min(1)]).default('disabled'),
            /** Node ids of clients (lab, operators) admitted besides cluster members. */
            admitted_clients: z.array(irohNodeId).default([]),
            /** A stream's request frame must arrive whole within this (+ as much per MiB it declares). */
            request_read_timeout_ms: z.number().int().min(10).max(600_000).default(5000),
            /** Concurrent streams per connection (also the QUIC stream limit); more are refused. */
            max_streams_per_connection: z.number().int().min(1).max(10_000).default(100),
            /** Concurrent streams per peer node id over all its connections; more are refused. */
            max_streams_per_peer: z.number().int().min(1).max(100_000).default(200),
          })
          .prefault({}),
        migration: MigrationFileSchema.prefault({}),
      })
      .prefault({}),
    cluster: z
      .strictObject({
        bootstrap: z.boolean().default(false),
        peers: z.array(peer).default([]),
        /**
         * A file holding the cluster's join token (relative: inside data_dir). When set, JoinCluster
         * and LeaveCluster over gRPC must carry it in `join_token`, and this node sends it when it
         * joins. Unset: gRPC membership changes are open to anyone who reaches the port.
         */
        join_token_file: z.string().min(1).optional(),
      })
      .prefault({}),
    metrics: z.strictObject({ bind_address: hostPort.default('0.0.0.0:9100') }).prefault({}),
    /** VMs this node runs and the tasks it accepts; the capacity defaults to the host's. */
    vm: z
      .strictObject({
        backend: z.enum(['process']).default('process'),
        vcpus: z
          .number()
          .int()
          .min(0)
          .default(() => availableParallelism()),
        memory_mb: z
          .number()
          .int()
          .min(0)
          .default(() => Math.floor(totalmem() / 2 ** 20)),
        disk_gb: z.number().int().min(0).default(100),
        /** The guest program each VM runs; empty: the one shipped in node/vm/guest. */
        guest_program: z.string().default(''),
        /** Fraction of its declared memory a guest actually holds resident (1 = all of it). */
        guest_memory_scale: z.number().min(0).max(1).default(1),
        heartbeat_ms: z.number().int().min(10).default(500),
        /** A guest silent this long is unhealthy and is restarted. */
        heartbeat_timeout_ms: z.number().int().min(100).default(5000),
        reconcile_ms: z.number().int().min(10).default(500),
        /** Commands a task may run (by name, looked up on PATH). */
        task_allowlist: z
          .array(z.string().min(1))
          .default(['echo', 'true', 'false', 'sleep', 'uname', 'hostname', 'date']),
        task_output_limit_bytes: z.number().int().min(0).default(65_536),
      })
      .prefault({}),
    raft: z
      .strictObject({
        tick_ms: z.number().int().min(1).max(10_000).default(50),
        /** Election timeout is a random [election_ticks, 2 × election_ticks) ticks. */
        election_ticks: z.number().int().min(2).default(10),
        heartbeat_ticks: z.number().int().min(1).default(2),
        snapshot_entries: z.number().int().min(1).default(10_000),
        proposal_timeout_ms: z.number().int().min(1).default(5000),
        /** A learner not caught up within this long after its join is removed again. */
        learner_catch_up_timeout_ms: z.number().int().min(1).default(60_000),
      })
      .prefault({})
      .refine((r) => r.election_ticks > r.heartbeat_ticks, {
        message: 'election_ticks must be greater than heartbeat_ticks',
      }),
  })
  .superRefine((cfg, ctx) => {
    const ids = new Set<string>();
    cfg.cluster.peers.forEach((p, i) => {
      if (p.id === cfg.node.id) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'peers', i, 'id'],
          message: 'a node is not its own peer',
        });
      }
      if (ids.has(p.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'peers', i, 'id'],
          message: `duplicate peer id '${p.id}'`,
        });
      }
      ids.add(p.id);
      const mode = cfg.transport.mode;
      if (mode !== 'iroh' && p.grpc === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'peers', i, 'grpc'],
          message: `required in ${mode} mode`,
        });
      }
      if (mode !== 'grpc' && (p.iroh_id === undefined || p.iroh_addrs.length === 0)) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'peers', i, p.iroh_id === undefined ? 'iroh_id' : 'iroh_addrs'],
          message: `required in ${mode} mode`,
        });
      }
    });
    const conflict = strategyConflict(cfg.transport.mode, strategyFromFile(cfg.transport.migration));
    if (conflict) ctx.addIssue({ code: 'custom', path: ['transport', 'migration'], message: conflict });
  });

export type NodeConfig = z.infer<typeof NodeConfigSchema>;
export type PeerConfig = NodeConfig['cluster']['peers'][number];
