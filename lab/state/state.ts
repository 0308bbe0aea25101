/**
 * Everything needed to find a running cluster again: written by `lab up` under .lab/ so that
 * `lab status`, `lab logs` and `lab down` (other processes) can reach and remove it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MigrationStrategy, TransportMode } from '../../node/transport/index.ts';
import type { LinkPlan } from '../topology/index.ts';

/**
 * A run's id: what it is (`lab`, `run`), when it started (UTC, to the second) and 4 random hex digits,
 * so ids sort by time and two runs started in the same second still differ.
 */
export function newRunId(prefix: 'lab' | 'run' = 'lab'): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${prefix}-${t}-${randomBytes(2).toString('hex')}`;
}

export type RuntimeKind = 'docker' | 'process';

/** The system the lab runs: its own reference node (node/), or the real Blixard (Rust). */
export type SutName = 'reference' | 'blixard-rs';
export const SUTS: readonly SutName[] = ['reference', 'blixard-rs'];
export const RUNTIMES: readonly RuntimeKind[] = ['docker', 'process'];
/** How a blixard-rs cluster's membership is made (ClusterOptions.blixardMembers). */
export const BLIXARD_MEMBERSHIPS = ['joined', 'confirmed'] as const;
export type BlixardMembership = (typeof BLIXARD_MEMBERSHIPS)[number];

/** A local process the lab started: its pid, and a string its command line must contain to be ours. */
export interface ProcRecord {
  pid: number;
  marker: string;
}

export interface NodeState {
  id: string;
  index: number;
  mode: TransportMode;
  irohId: string;
  /** The (client → node) link, as the lab's own process dials it. */
  clientGrpc: string;
  clientIroh: string;
  /** The node's metrics endpoint, reached directly (not through a link), host:port. */
  metrics: string;
  /** The node's config file on the host. */
  configPath: string;
  /** Process runtime: data_dir and log file on the host, and the process. */
  dataDir?: string;
  logPath?: string;
  proc?: ProcRecord;
  /** Docker runtime: the container and its data volume. */
  container?: string;
  volume?: string;
  /** blixard-rs: the node's Iroh ticket as it logged it at its last start. */
  ticket?: string;
}

export interface ClusterState {
  version: 1;
  runId: string;
  runtime: RuntimeKind;
  /** Absent in state files written before there was a choice: the reference node. */
  sut?: SutName;
  /** blixard-rs: the commit its binary was built from, its image and the container its CLI runs in. */
  blixard?: { commit: string; image: string; clientContainer: string };
  mode: TransportMode;
  strategy?: MigrationStrategy | undefined;
  seed: number;
  createdAt: string;
  workDir: string;
  client: { secretHex: string; irohId: string };
  nodes: NodeState[];
  links: LinkPlan[];
  hub: {
    /** Admin APIs as the lab's process reaches them. */
    tcpAdmin: string;
    udpAdmin: string;
    toxiproxy?: ProcRecord;
    udpProxy?: ProcRecord;
    container?: string;
  };
  networks?: string[];
  prometheus?: { url: string; container?: string };
}

/** A run's state before anything is started: no nodes yet, the hub's admin URLs as known so far. */
export function newClusterState(o: {
  runId: string;
  runtime: RuntimeKind;
  mode: TransportMode;
  strategy?: MigrationStrategy | undefined;
  seed: number;
  workDir: string;
  clientKey: { secretHex: string; nodeId: string };
  links: LinkPlan[];
  hub: ClusterState['hub'];
}): ClusterState {
  return {
    version: 1,
    runId: o.runId,
    runtime: o.runtime,
    mode: o.mode,
    strategy: o.strategy,
    seed: o.seed,
    createdAt: new Date().toISOString(),
    workDir: o.workDir,
    client: { secretHex: o.clientKey.secretHex, irohId: o.clientKey.nodeId },
    nodes: [],
    links: o.links,
    hub: o.hub,
  };
}

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const DEFAULT_STATE_FILE = join(REPO_ROOT, '.lab', 'state.json');

export async function writeState(state: ClusterState, file = DEFAULT_STATE_FILE): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

export async function readState(file = DEFAULT_STATE_FILE): Promise<ClusterState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const state = JSON.parse(text) as ClusterState;
  if (state.version !== 1) throw new Error(`${file}: unknown state version ${String(state.version)}`);
  return state;
}

export async function removeState(file = DEFAULT_STATE_FILE): Promise<void> {
  await rm(file, { force: true });
}
