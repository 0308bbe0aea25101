/**
 * The guest processes on this host whose VM directory lies under `root`,
 * found on /proc: how tests see which node really runs which VM, and make
 * sure none outlives them.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface GuestProcess {
  pid: number;
  vm: string;
  node: string;
  dir: string;
}

export function guestProcesses(root: string): GuestProcess[] {
  const found: GuestProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    const arg = (flag: string) => args.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);
    const dir = arg('dir');
    if (!dir?.startsWith(root) || !args.some((a) => a.endsWith('guest.ts'))) continue;
    if (isZombie(Number(entry))) continue;
    found.push({ pid: Number(entry), vm: arg('name') ?? '', node: arg('node') ?? '', dir });
  }
  return found;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Kills whatever guests are left under `root`; returns how many there were. */
export function killGuests(root: string): number {
  const left = guestProcesses(root);
  for (const g of left) {
    try {
      process.kill(g.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.length;
}
