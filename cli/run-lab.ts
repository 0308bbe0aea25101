/** For the CLI's tests: the real `lab` command run as a child process, as a user would, and a small lab. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Cluster } from '../lab/runtime/index.ts';
import type { TransportMode } from '../node/transport/index.ts';

export const LAB_CLI = join(import.meta.dirname, 'lab.ts');

export interface LabRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `lab ...args` against the lab remembered in `stateFile`; `env` adds to the environment. Past
 * `boundMs` (when given) the command is interrupted with SIGINT — `up` then removes what it made —
 * and its stderr says so after its output so far.
 */
export function runLab(
  stateFile: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  boundMs?: number,
): Promise<LabRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LAB_CLI, ...args],
      {
        env: { ...process.env, LAB_STATE_FILE: stateFile, ...env },
        ...(boundMs !== undefined && { timeout: boundMs, killSignal: 'SIGINT' as const }),
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const gaveUp = err?.killed
          ? `\n(lab ${args.join(' ')}: still running after ${boundMs} ms, interrupted; its output so far is above)`
          : '';
        resolve({ code, stdout, stderr: `${stderr}${gaveUp}` });
      },
    );
  });
}

/**
 * A one-node lab on the process runtime (dual mode unless asked, no Prometheus) for the CLI's
 * in-process tests and bench/load, with a leader; `stop` removes it and its directory.
 */
export async function startTestLab(
  prefix: string,
  mode: TransportMode = 'dual',
): Promise<{ cluster: Cluster; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const cluster = await Cluster.start({
    nodes: 1,
    runtime: 'process',
    mode,
    workDir: dir,
    prometheus: false,
  });
  await cluster.waitForLeader();
  return {
    cluster,
    stop: async () => {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A test file's one-node lab (startTestLab): started before its tests, removed after them. */
export function useTestLab(prefix: string): { readonly cluster: Cluster } {
  let lab: Awaited<ReturnType<typeof startTestLab>> | undefined;
  beforeAll(async () => {
    lab = await startTestLab(prefix);
  }, 180_000);
  afterAll(() => lab?.stop(), 60_000);
  return {
    get cluster(): Cluster {
      if (lab === undefined) throw new Error('the test lab has not started');
      return lab.cluster;
    },
  };
}
