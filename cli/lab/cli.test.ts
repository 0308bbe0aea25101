/**
 * The lab CLI as a user runs it: `lab up` on the process runtime leaves a cluster running after it
 * exits, `lab status --json` finds it, `lab down` removes it; bad flags start nothing.
 */

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CLI_START_MS,
  type ClusterState,
  dockerClient,
  ELECTION_TIMEOUT_MAX_MS,
  isOurs,
  LABEL_RUN,
  readState,
  waitUntil,
} from '../../lab/runtime/index.ts';
import { type LabRun, runLab } from '../run-lab.ts';
import type { StatusReport } from './status-table.ts';

// Real processes and containers on a shared machine: generous limits, never a timing assertion.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

let dir: string;
let stateFile: string;

function lab(...args: string[]): Promise<LabRun> {
  return runLab(stateFile, args);
}
function labWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<LabRun> {
  return runLab(stateFile, args, env);
}

function procs(state: ClusterState) {
  return [state.hub.toxiproxy, state.hub.udpProxy, ...state.nodes.map((n) => n.proc)].filter(
    (p) => p !== undefined,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-cli-'));
  stateFile = join(dir, 'state.json');
});

afterAll(async () => {
  await lab('down');
  await rm(dir, { recursive: true, force: true });
});

describe('lab CLI', () => {
  it('rejects bad flags and configs with status 2 and starts nothing', async () => {
    const bad = join(dir, 'bad.toml');
    await writeFile(bad, 'nodes = 3\nmode = "carrier-pigeon"\n');
    for (const args of [
      ['up', '--nodes', 'three'],
      ['up', '--nodes', '0', '--runtime', 'process'],
      ['up', '--runtime', 'vm'],
      ['up', '--mode', 'udp'],
      ['up', '--no-such-flag'],
      ['up', '--config', bad, '--runtime', 'process'],
      ['up', '--config', join(dir, 'missing.toml')],
    ]) {
      const r = await lab(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    const r = await lab('up', '--config', bad, '--runtime', 'process');
    expect(r.stderr).toContain('mode');
    expect(await readState(stateFile)).toBeUndefined();
  });

  it('says so when no Docker engine answers, and starts nothing', async () => {
    const r = await labWith(
      { DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}` },
      'up',
      '--runtime',
      'docker',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no Docker engine answers');
    expect(r.stderr).toContain('--runtime process');
    expect(await readState(stateFile)).toBeUndefined();
  });

  it('brings a cluster up that outlives the command, reports it, and takes it down', async () => {
    const config = join(dir, 'lab.toml');
    await writeFile(config, 'nodes = 2\nruntime = "process"\nmode = "grpc"\n');
    const up = await lab('up', '--config', config, '--nodes', '3', '--mode', 'dual');
    expect(up.stderr).toContain('is up');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('n3');

    const state = await readState(stateFile);
    expect(state?.nodes).toHaveLength(3);
    expect(state?.mode).toBe('dual');

    const again = await lab('up', '--runtime', 'process');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already up');

    const status = await lab('status', '--json');
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as StatusReport;
    expect(report.nodes.map((n) => [n.id, n.health, n.mode, n.running])).toEqual([
      ['n1', 'healthy', 'dual', true],
      ['n2', 'healthy', 'dual', true],
      ['n3', 'healthy', 'dual', true],
    ]);

    const table = await lab('status');
    for (const head of ['node', 'role', 'term', 'commit', 'mode', 'health', 'addresses']) {
      expect(table.stdout).toContain(head);
    }

    // A killed node is reported as such.
    const n3 = state?.nodes.find((n) => n.id === 'n3');
    process.kill(-(n3?.proc?.pid as number), 'SIGKILL');
    const reported = await waitUntil({
      what: 'status to report the killed n3 not running',
      // One status command: the CLI's start and its 2 s health probes.
      boundMs: 2 * (CLI_START_MS + 2000),
      probe: async () =>
        (JSON.parse((await lab('status', '--json')).stdout) as StatusReport).nodes.find((n) => n.id === 'n3'),
      holds: (n3) => n3 !== undefined && !n3.running,
    });
    expect(reported?.health).toBe('down');
    expect((await lab('status')).stdout).toContain('stopped');

    const logs = await lab('logs', 'n2', '--tail', '50');
    expect(logs.stdout).toContain('"msg":"serving"');
    const ls = await lab('exec', 'n1', '--', 'ls');
    expect(ls.stdout).toContain('iroh_secret.key');

    const down = await lab('down');
    expect(down.code).toBe(0);
    expect(await readState(stateFile)).toBeUndefined();
    for (const p of procs(state as ClusterState)) expect(await isOurs(p)).toBe(false);
    await rm(state?.workDir as string, { recursive: true, force: true });
    expect((await lab('status')).code).toBe(1);
  });

  it('brings a docker cluster up in iroh mode with one leader that status reports, and leaves nothing after down', async () => {
    const up = await lab('up', '--runtime', 'docker', '--mode', 'iroh', '--nodes', '3');
    expect(up.code, up.stderr).toBe(0);
    const state = (await readState(stateFile)) as ClusterState;
    // `up` returned with every node healthy; an election takes a few election timeouts, and each look
    // is one status command.
    const report = await waitUntil({
      what: 'status to report one leader',
      boundMs: 5 * ELECTION_TIMEOUT_MAX_MS + 2 * (CLI_START_MS + 2000),
      probe: async () => JSON.parse((await lab('status', '--json')).stdout) as StatusReport,
      holds: (r) => r.nodes.filter((n) => n.role === 'leader').length === 1,
      show: (r) => r.nodes.map((n) => `${n.id}: ${n.role}, term ${n.term}, ${n.health}`).join('; '),
    });
    expect(report.nodes.every((n) => n.health === 'healthy' && n.mode === 'iroh')).toBe(true);
    const leader = report.nodes.find((n) => n.role === 'leader')?.id;
    expect(report.nodes.every((n) => n.leader === leader)).toBe(true);
    expect(report.prometheus).toMatch(/^http:/);
    expect((await lab('exec', 'n2', '--', 'id', '-un')).stdout.trim()).toBe('blixard');
    expect((await lab('down')).code).toBe(0);
    const docker = dockerClient;
    const filters = { label: [`${LABEL_RUN}=${state.runId}`] };
    expect(await docker().listContainers({ all: true, filters })).toEqual([]);
    expect(await docker().listNetworks({ filters })).toEqual([]);
    expect((await docker().listVolumes({ filters })).Volumes ?? []).toEqual([]);
    await rm(state.workDir, { recursive: true, force: true });
  });

  it('cleans up after a lab whose processes died without `lab down`', async () => {
    const up = await lab('up', '--runtime', 'process', '--nodes', '1');
    expect(up.code).toBe(0);
    const state = (await readState(stateFile)) as ClusterState;
    for (const n of state.nodes) process.kill(-(n.proc?.pid as number), 'SIGKILL');
    const second = await lab('up', '--runtime', 'process', '--nodes', '1');
    expect(second.stderr).toContain('did not shut down cleanly');
    expect(second.code).toBe(0);
    for (const p of procs(state)) expect(await isOurs(p)).toBe(false);
    const next = (await readState(stateFile)) as ClusterState;
    expect(next.runId).not.toBe(state.runId);
    await lab('down');
    for (const s of [state, next]) await rm(s.workDir, { recursive: true, force: true });
    expect(await readdir(dir)).not.toContain('state.json');
  });
});
