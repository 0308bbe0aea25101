/**
 * `lab up --config FILE`: a TOML file naming the cluster; flags given on the command line win.
 *
 *   nodes = 3
 *   runtime = "process"          # or "docker"
 *   mode = "dual"                # grpc | dual | iroh
 *   seed = 42
 *   sut = "blixard-rs"           # the real Blixard (default "reference", the lab's own node)
 *   blixard_ref = "c127604"      # its commit (or blixard_src = "/path/to/checkout")
 *   [strategy]
 *   prefer_iroh = ["health", "status"]
 *   raft_transport = "grpc"      # "iroh", or { adaptive = { latency_threshold_ms = 10 } }
 *   fallback_to_grpc = true
 */
import { parse, TomlError } from 'smol-toml';
import { z } from 'zod';
import { describeZodIssues, LabError } from '../../lab/runtime/index.ts';
import {
  MigrationFileSchema,
  type MigrationStrategy,
  strategyFromFile,
  type TransportMode,
  TransportModeSchema,
} from '../../node/transport/index.ts';

const LabConfigSchema = z.strictObject({
  nodes: z.number().int().optional(),
  runtime: z.enum(['docker', 'process']).optional(),
  mode: TransportModeSchema.optional(),
  sut: z.enum(['reference', 'blixard-rs']).optional(),
  blixard_ref: z.string().min(1).optional(),
  blixard_src: z.string().min(1).optional(),
  seed: z.number().int().optional(),
  image: z.string().min(1).optional(),
  strategy: MigrationFileSchema.optional(),
});

export interface LabConfig {
  nodes?: number;
  runtime?: 'docker' | 'process';
  mode?: TransportMode;
  sut?: 'reference' | 'blixard-rs';
  blixardRef?: string;
  blixardSrc?: string;
  seed?: number;
  image?: string;
  strategy?: MigrationStrategy;
}

export function parseLabConfig(text: string, file: string): LabConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      throw new LabError('usage', `${file}: TOML syntax at line ${err.line}, column ${err.column}`);
    }
    throw err;
  }
  const result = LabConfigSchema.safeParse(raw);
  if (!result.success)
    throw new LabError('usage', `invalid lab config ${file}:\n${describeZodIssues(result.error)}`);
  const { strategy, ...rest } = result.data;
  const out: LabConfig = {};
  if (rest.nodes !== undefined) out.nodes = rest.nodes;
  if (rest.runtime !== undefined) out.runtime = rest.runtime;
  if (rest.mode !== undefined) out.mode = rest.mode;
  if (rest.sut !== undefined) out.sut = rest.sut;
  if (rest.blixard_ref !== undefined) out.blixardRef = rest.blixard_ref;
  if (rest.blixard_src !== undefined) out.blixardSrc = rest.blixard_src;
  if (rest.seed !== undefined) out.seed = rest.seed;
  if (rest.image !== undefined) out.image = rest.image;
  if (strategy) out.strategy = strategyFromFile(strategy);
  return out;
}
