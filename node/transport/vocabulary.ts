/**
 * The transport vocabulary, declared once: what carries a call (kind), what a node serves (mode),
 * and the migration strategy that picks one per service group — in code and in TOML, with the zod
 * fragments every config schema builds on (the node's, the lab's, incident files).
 */
import { z } from 'zod';
import { SERVICE_GROUPS, type ServiceGroup } from './service-groups.ts';

/** What carries one call. */
export const TRANSPORT_KINDS = ['grpc', 'iroh'] as const;
export type TransportKind = (typeof TRANSPORT_KINDS)[number];

/** What a node serves: one transport, or both during the migration. */
export const TRANSPORT_MODES = ['grpc', 'dual', 'iroh'] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];

export type RaftTransport = TransportKind | { adaptive: { latencyThresholdMs: number } };

export interface MigrationStrategy {
  /** Groups that go over Iroh (in dual mode); the rest stay on gRPC. */
  preferIroh: readonly ServiceGroup[];
  /** The raft group's own rule: it moves last, and may follow measured latency. */
  raftTransport: RaftTransport;
  /** Retry once over gRPC when Iroh cannot connect or answers UNAVAILABLE. */
  fallbackToGrpc: boolean;
}

export const GRPC_ONLY: MigrationStrategy = { preferIroh: [], raftTransport: 'grpc', fallbackToGrpc: false };

/** The transports a node in `mode` serves. */
export function transportsOf(mode: TransportMode): TransportKind[] {
  return mode === 'dual' ? ['grpc', 'iroh'] : [mode];
}

/**
 * Where each mode starts: gRPC mode keeps everything on gRPC; Iroh mode has nothing to fall back
 * to; dual mode starts where the migration starts (everything on gRPC, Iroh ready, fallback on).
 */
export function defaultStrategy(mode: TransportMode): MigrationStrategy {
  if (mode === 'grpc') return GRPC_ONLY;
  if (mode === 'iroh') return { preferIroh: [], raftTransport: 'iroh', fallbackToGrpc: false };
  return { preferIroh: [], raftTransport: 'grpc', fallbackToGrpc: true };
}

/** Why a strategy cannot go with a mode (gRPC mode serves no Iroh), or undefined when it can. */
export function strategyConflict(mode: TransportMode, s: MigrationStrategy): string | undefined {
  if (mode === 'grpc' && (s.preferIroh.length > 0 || s.raftTransport !== 'grpc')) {
    return 'mode "grpc" serves no Iroh: prefer_iroh must be empty and raft_transport "grpc"';
  }
  return undefined;
}

export const TransportKindSchema = z.enum(TRANSPORT_KINDS);
export const TransportModeSchema = z.enum(TRANSPORT_MODES);
export const ServiceGroupSchema = z.enum(SERVICE_GROUPS);

/** The strategy as code spells it (lab options, scenarios); omitted keys default as in files. */
export const MigrationStrategySchema = z.strictObject({
  preferIroh: z.array(ServiceGroupSchema).default([]),
  raftTransport: z
    .union([
      TransportKindSchema,
      z.strictObject({ adaptive: z.strictObject({ latencyThresholdMs: z.number().positive() }) }),
    ])
    .default('grpc'),
  fallbackToGrpc: z.boolean().default(true),
});

/** `raft_transport` as TOML and YAML files spell it. */
export const RaftTransportFileSchema = z.union([
  TransportKindSchema,
  z.strictObject({ adaptive: z.strictObject({ latency_threshold_ms: z.number().positive() }) }),
]);

/** `[transport.migration]` (node) and `[strategy]` (lab), as files spell them; omitted keys default. */
export const MigrationFileSchema = z.strictObject({
  prefer_iroh: z.array(ServiceGroupSchema).default([]),
  raft_transport: RaftTransportFileSchema.default('grpc'),
  fallback_to_grpc: z.boolean().default(true),
});
export type MigrationFile = z.infer<typeof MigrationFileSchema>;

export function strategyFromFile(m: MigrationFile): MigrationStrategy {
  const raft = m.raft_transport;
  return {
    preferIroh: m.prefer_iroh,
    raftTransport:
      typeof raft === 'string'
        ? raft
        : { adaptive: { latencyThresholdMs: raft.adaptive.latency_threshold_ms } },
    fallbackToGrpc: m.fallback_to_grpc,
  };
}

export function strategyToFile(s: MigrationStrategy): MigrationFile {
  const raft = s.raftTransport;
  return {
    prefer_iroh: [...s.preferIroh],
    raft_transport:
      typeof raft === 'string'
        ? raft
        : { adaptive: { latency_threshold_ms: raft.adaptive.latencyThresholdMs } },
    fallback_to_grpc: s.fallbackToGrpc,
  };
}
