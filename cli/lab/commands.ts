/** The lab CLI's commands; each returns the process exit status. */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BLIXARD_MEMBERSHIPS,
  type BlixardMembership,
  Cluster,
  type ClusterOptions,
  ClusterShapeSchema,
  type ClusterState,
  describeZodIssues,
  dockerReachable,
  LabError,
  REPO_ROOT,
  readState,
  removeOrphans,
  removeState,
  requireDocker,
  runLabels,
  writeState,
} from '../../lab/runtime/index.ts';
import { detach } from '../../node/lib/index.ts';
import type { LabIo } from '../io.ts';
import { type LabConfig, parseLabConfig } from './lab-config.ts';
import { createProgress } from './progress.ts';
import { renderStatusTable, statusReport } from './status-table.ts';

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export type Io = LabIo;

export interface UpFlags {
  nodes?: string;
  runtime?: string;
  mode?: string;
  sut?: string;
  blixardRef?: string;
  blixardSrc?: string;
  blixardMembers?: string;
  config?: string;
  seed?: string;
  basePort?: string;
  healthTimeout?: string;
}

function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new LabError('usage', `--${name}: '${value}' is not an integer`);
  return Number(value);
}

/** Flags over config file over defaults; everything validated before anything starts. */
export async function upOptions(flags: UpFlags): Promise<ClusterOptions & { basePort?: number }> {
  let fromFile = {};
  if (flags.config !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.config, 'utf8');
    } catch (err) {
      throw new LabError(
        'usage',
        `--config ${flags.config}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`,
      );
    }
    fromFile = parseLabConfig(text, flags.config);
  }
  const { blixardRef, blixardSrc, ...fileShape } = fromFile as LabConfig;
  const sut = flags.sut ?? fileShape.sut;
  const merged = {
    nodes: 3,
    runtime: 'docker',
    // The real Blixard is Iroh-only.
    mode: sut === 'blixard-rs' ? 'iroh' : 'dual',
    ...fileShape,
    ...(flags.nodes !== undefined && { nodes: intFlag('nodes', flags.nodes) }),
    ...(flags.runtime !== undefined && { runtime: flags.runtime }),
    ...(flags.mode !== undefined && { mode: flags.mode }),
    ...(sut !== undefined && { sut }),
    ...(flags.seed !== undefined && { seed: intFlag('seed', flags.seed) }),
  };
  const ref = flags.blixardRef ?? blixardRef;
  const src = flags.blixardSrc ?? blixardSrc;
  if ((ref !== undefined || src !== undefined || flags.blixardMembers !== undefined) && sut !== 'blixard-rs')
    throw new LabError(
      'usage',
      '--blixard-ref, --blixard-src and --blixard-members choose the Blixard of --sut blixard-rs',
    );
  const members = flags.blixardMembers as BlixardMembership | undefined;
  if (members !== undefined && !BLIXARD_MEMBERSHIPS.includes(members))
    throw new LabError('usage', `--blixard-members: '${members}' is neither joined nor confirmed`);
  const shape = ClusterShapeSchema.safeParse(merged);
  if (!shape.success) throw new LabError('usage', `invalid options:\n${describeZodIssues(shape.error)}`);
  const basePort = intFlag('base-port', flags.basePort);
  if (basePort !== undefined && (basePort < 1024 || basePort > 65000)) {
    throw new LabError('usage', `--base-port: ${basePort} is outside 1024–65000`);
  }
  const healthSeconds = intFlag('health-timeout', flags.healthTimeout);
  if (healthSeconds !== undefined && healthSeconds <= 0)
    throw new LabError('usage', '--health-timeout must be positive');
  return {
    ...shape.data,
    ...(shape.data.sut === 'blixard-rs' && {
      blixard: { ...(src !== undefined ? { src } : ref !== undefined && { ref }) },
      ...(members !== undefined && { blixardMembers: members }),
    }),
    ...(basePort !== undefined && { basePort }),
    ...(healthSeconds !== undefined && { healthTimeoutMs: healthSeconds * 1000 }),
  };
}

/** A state whose cluster is gone (a crash, a reboot) is cleaned up; a live one is an error. */
async function clearStale(io: Io): Promise<void> {
  const old = await readState(io.stateFile);
  if (!old) return;
  const cluster = await Cluster.attach(old);
  try {
    const running = await Promise.all(cluster.nodes.map((n) => n.isRunning()));
    if (running.some(Boolean)) {
      throw new LabError(
        'state',
        `a lab is already up (${old.runId}, ${old.nodes.length} nodes, ${old.runtime}): run \`lab down\` first`,
      );
    }
    io.err(`removing what is left of ${old.runId} (it did not shut down cleanly)\n`);
    await cluster.stop();
  } finally {
    await cluster.detach();
  }
  await removeState(io.stateFile);
}

export async function up(flags: UpFlags, io: Io): Promise<number> {
  const options = await upOptions(flags);
  await clearStale(io);
  if (options.runtime === 'docker') {
    await requireDocker();
    const removed = await removeOrphans();
    if (removed > 0) io.err(`removed ${removed} leftover docker resources of earlier lab runs\n`);
  }
  // Prometheus runs in a container: on the process runtime only when a Docker engine answers.
  let prometheusSkipped: string | undefined;
  if (options.runtime === 'process') {
    if (!(await dockerReachable()))
      prometheusSkipped = 'no Docker engine answers (it runs in a container; `make setup` installs one)';
  }
  const progress = createProgress();
  const what = options.sut === 'blixard-rs' ? 'real Blixard nodes' : 'nodes';
  progress.step(`starting ${options.nodes} ${what} (${options.runtime} runtime, ${options.mode} mode)`);
  const cluster = await Cluster.start({
    ...options,
    prometheus: prometheusSkipped === undefined,
    stateFile: io.stateFile,
    onProgress: (m) => progress.step(m),
    onState: (s) => {
      detach(writeState(s, io.stateFile), (e) =>
        io.err(
          `lab: could not save ${io.stateFile} (lab down may not find this run): ${(e as Error).message}\n`,
        ),
      );
    },
  });
  await writeState(cluster.state, io.stateFile);
  progress.done(`cluster ${cluster.runId} is up`);
  const statuses = await cluster.status();
  io.out(
    renderStatusTable(
      statusReport(
        cluster.state,
        statuses,
        statuses.map(() => true),
      ),
    ),
  );
  io.out(`logs and configs: ${cluster.state.workDir}\n`);
  if (prometheusSkipped) io.out(`prometheus: skipped — ${prometheusSkipped}\n`);
  const { grafanaLine, startLabGrafana } = await import('../../lab/observability/index.ts');
  const grafana = await startLabGrafana(
    cluster.state,
    runLabels(cluster.runId, { stateFile: io.stateFile }),
  ).catch((err: Error) => ({ skipped: `it did not start (${err.message})` }));
  io.out(`${grafanaLine(grafana)}\n`);
  await cluster.detach();
  return EXIT_OK;
}

async function attachOrExplain(io: Io): Promise<{ state: ClusterState; cluster: Cluster } | undefined> {
  const state = await readState(io.stateFile);
  if (!state) {
    io.err('no lab is up (start one with `lab up`)\n');
    return undefined;
  }
  return { state, cluster: await Cluster.attach(state) };
}

export async function status(flags: { json?: boolean }, io: Io): Promise<number> {
  const found = await attachOrExplain(io);
  if (!found) return EXIT_FAIL;
  const { state, cluster } = found;
  try {
    const [statuses, running] = await Promise.all([
      cluster.status(),
      Promise.all(cluster.nodes.map((n) => n.isRunning())),
    ]);
    const report = statusReport(state, statuses, running);
    io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatusTable(report));
    return EXIT_OK;
  } finally {
    await cluster.detach();
  }
}

export async function down(io: Io): Promise<number> {
  const state = await readState(io.stateFile);
  if (state) {
    const cluster = await Cluster.attach(state);
    await cluster.stop();
    await removeState(io.stateFile);
    io.err(`lab ${state.runId} removed\n`);
  } else {
    io.err('no lab is up\n');
  }
  if (!state || state.runtime === 'docker') {
    if (await dockerReachable()) {
      const removed = await removeOrphans();
      if (removed > 0) io.err(`removed ${removed} leftover docker resources of lab runs\n`);
    }
  }
  return EXIT_OK;
}

export async function logs(
  node: string | undefined,
  flags: { follow?: boolean; tail?: string },
  io: Io,
): Promise<number> {
  const found = await attachOrExplain(io);
  if (!found) return EXIT_FAIL;
  const { cluster } = found;
  try {
    const nodes = node === undefined ? cluster.nodes : [cluster.node(node)];
    const tail = intFlag('tail', flags.tail) ?? (flags.follow ? 20 : undefined);
    const prefix = (id: string, text: string) =>
      nodes.length === 1 ? text : text.replace(/^(?=.)/gm, `${id} | `);
    for (const n of nodes) io.out(prefix(n.id, await n.logs(tail)));
    if (!flags.follow) return EXIT_OK;
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    await Promise.all(nodes.map((n) => n.followLogs((t) => io.out(prefix(n.id, t)), abort.signal)));
    return EXIT_OK;
  } finally {
    await cluster.detach();
  }
}

export async function exec(node: string, command: string[], io: Io): Promise<number> {
  const argv = command[0] === '--' ? command.slice(1) : command;
  if (argv.length === 0)
    throw new LabError('usage', 'exec: give a command after --, e.g. `lab exec n1 -- ls`');
  const found = await attachOrExplain(io);
  if (!found) return EXIT_FAIL;
  const { cluster } = found;
  try {
    const handle = cluster.node(node);
    const result = await handle.exec(argv).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new LabError('usage', `exec: ${argv[0]}: command not found`);
      throw err;
    });
    io.out(result.stdout);
    io.err(result.stderr);
    return result.code;
  } finally {
    await cluster.detach();
  }
}

export const DEFAULT_STATE = join(REPO_ROOT, '.lab', 'state.json');
