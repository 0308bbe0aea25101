/**
 * Removing a run's containers, networks and volumes by its label, and the leftovers of runs whose
 * owner is gone (a crashed test, a `lab up` whose state file no longer names it).
 */

import { readFile } from 'node:fs/promises';
import { isDockerGone } from '../../../node/lib/index.ts';
import { docker, LABEL_LAB, LABEL_OWNER_PID, LABEL_RUN, LABEL_STATE_FILE } from './engine.ts';

async function removeWhere(filters: Record<string, string[]>): Promise<number> {
  const d = docker();
  let removed = 0;
  const containers = await d.listContainers({ all: true, filters });
  await Promise.all(
    containers.map(async (c) => {
      await d
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .then(() => removed++, ignoreGone);
    }),
  );
  for (const n of (await d.listNetworks({ filters })) ?? []) {
    await d
      .getNetwork(n.Id)
      .remove()
      .then(() => removed++, ignoreGone);
  }
  const { Volumes } = await d.listVolumes({ filters });
  for (const v of Volumes ?? []) {
    await d
      .getVolume(v.Name)
      .remove({ force: true })
      .then(() => removed++, ignoreGone);
  }
  return removed;
}

/** Every container, network and volume of one run. */
export function removeRun(runId: string): Promise<number> {
  return removeWhere({ label: [`${LABEL_RUN}=${runId}`] });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stateNames(file: string, runId: string): Promise<boolean> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { runId?: string }).runId === runId;
  } catch {
    return false;
  }
}

/** Runs whose owner is gone; returns how many resources went. */
export async function removeOrphans(): Promise<number> {
  const d = docker();
  const filters = { label: [`${LABEL_LAB}=1`] };
  const labelsOf = [
    ...(await d.listContainers({ all: true, filters })).map((c) => c.Labels),
    ...((await d.listNetworks({ filters })) ?? []).map((n) => n.Labels ?? {}),
    ...((await d.listVolumes({ filters })).Volumes ?? []).map((v) => v.Labels ?? {}),
  ];
  const runs = new Map<string, Record<string, string>>();
  for (const labels of labelsOf) {
    const run = labels[LABEL_RUN];
    if (run && !runs.has(run)) runs.set(run, labels);
  }
  let removed = 0;
  for (const [run, labels] of runs) {
    const pid = Number(labels[LABEL_OWNER_PID]);
    const stateFile = labels[LABEL_STATE_FILE];
    const alive = stateFile ? await stateNames(stateFile, run) : pid > 0 && pidAlive(pid);
    if (!alive) removed += await removeRun(run);
  }
  return removed;
}

/** Another sweep or `lab down` may remove the same object first; anything else is an error. */
function ignoreGone(err: unknown): void {
  if (!isDockerGone(err)) throw err;
}
