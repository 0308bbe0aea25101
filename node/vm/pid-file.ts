/**
 * Pid files of guest processes, and how to tell that a pid still names our
 * guest (pids are reused: a live pid alone proves nothing).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface PidRecord {
  pid: number;
  name: string;
  startedAtMs: number;
  program: string;
}

export function writePidFile(path: string, record: PidRecord): void {
  writeFileSync(path, `${JSON.stringify(record)}\n`);
}

export function readPidFile(path: string): PidRecord | undefined {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<PidRecord>;
    if (typeof raw.pid !== 'number' || typeof raw.name !== 'string') return undefined;
    return {
      pid: raw.pid,
      name: raw.name,
      startedAtMs: raw.startedAtMs ?? 0,
      program: raw.program ?? '',
    };
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` is alive and runs `program` for the VM `name` (checked on /proc). */
export function isOurGuest(pid: number, program: string, name: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes(program) && args.includes(`--name=${name}`);
  } catch {
    return false;
  }
}
