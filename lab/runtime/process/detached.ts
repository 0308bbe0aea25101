/**
 * Local processes that outlive the lab's CLI: started in their own process group, output appended
 * to a log file, and signalled later by pid only after checking the pid is still ours (its command
 * line carries a marker), so a reused pid is never hit.
 */

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { sleep } from '../../../node/lib/index.ts';
import type { ProcRecord } from '../../state/index.ts';

export interface SpawnSpec {
  command: string;
  args: string[];
  logPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Must occur in the command line; defaults to the last argument. */
  marker?: string;
}

export function spawnDetached(spec: SpawnSpec): ProcRecord {
  const fd = openSync(spec.logPath, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`cannot start ${spec.command}`);
    child.on('error', () => {});
    child.unref();
    return { pid: child.pid, marker: spec.marker ?? spec.args.at(-1) ?? spec.command };
  } finally {
    closeSync(fd);
  }
}

/** True while the process runs (or is stopped), is not a zombie, and its command line has the marker. */
export async function isOurs(rec: ProcRecord): Promise<boolean> {
  try {
    const [cmdline, stat] = await Promise.all([
      readFile(`/proc/${rec.pid}/cmdline`, 'utf8'),
      readFile(`/proc/${rec.pid}/stat`, 'utf8'),
    ]);
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X' && cmdline.split('\0').join(' ').includes(rec.marker);
  } catch {
    return false;
  }
}

/** Signals the process group; a no-op when the process is gone or not ours. */
export async function signal(rec: ProcRecord, sig: NodeJS.Signals): Promise<boolean> {
  if (!(await isOurs(rec))) return false;
  try {
    process.kill(-rec.pid, sig);
    return true;
  } catch {
    try {
      process.kill(rec.pid, sig);
      return true;
    } catch {
      return false;
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(rec: ProcRecord, graceMs = 5000): Promise<void> {
  // A stopped (paused) process must run again to handle SIGTERM.
  if (!(await signal(rec, 'SIGCONT'))) return;
  await signal(rec, graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (await isOurs(rec)) {
    if (Date.now() >= deadline) await signal(rec, 'SIGKILL');
    await sleep(50);
  }
}
