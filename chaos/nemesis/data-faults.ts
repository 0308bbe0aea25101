/**
 * `wipe-data`: a majority of nodes lose their disks. Each chosen node is killed, everything in its
 * data directory is deleted (Raft log, hard state, snapshots, images; the process runtime keeps the
 * Iroh key the lab put there, the docker runtime keeps it outside the volume), and it is started
 * again on the empty directory, where it bootstraps a new cluster with the configured voters. Raft
 * assumes stable storage, so no correct node survives this: writes acknowledged before it are lost
 * once the wiped majority elects a leader of its own (a survivor that stays connected may instead
 * win the next election and hand its log back: isolate it first to make the loss certain).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Cluster, NodeHandle } from '../../lab/runtime/index.ts';
import { dockerClient, runLabels } from '../../lab/runtime/index.ts';

const nodeId = z.string().regex(/^n\d+$/, 'a node id such as n1');

export const WipeDataOpSchema = z.strictObject({
  do: z.literal('wipe-data'),
  /** `majority` (the first ⌊n/2⌋+1 nodes in id order) or the nodes named. */
  nodes: z.union([z.literal('majority'), z.array(nodeId).min(1)]).default('majority'),
});
export type WipeDataOp = z.infer<typeof WipeDataOpSchema>;

/** Files of a process-runtime data dir the lab wrote before the node first started. */
const LAB_FILES = new Set(['iroh_secret.key']);

/** The nodes a wipe-data op names (pure). */
export function wipeTargets(op: WipeDataOp, nodes: readonly string[]): string[] {
  if (op.nodes !== 'majority') return [...op.nodes];
  return [...nodes].sort(byIndex).slice(0, Math.floor(nodes.length / 2) + 1);
}

function byIndex(a: string, b: string): number {
  return Number(a.slice(1)) - Number(b.slice(1));
}

/** Stops every target, wipes each one's data, then starts them together (so they meet empty). */
export async function wipeData(
  cluster: Cluster,
  op: WipeDataOp,
): Promise<{ nodes: string[]; removed: Record<string, number> }> {
  const targets = wipeTargets(
    op,
    cluster.nodes.map((n) => n.id),
  ).map((id) => cluster.node(id));
  // SIGKILL, as a power loss: nothing flushed, and no shutdown grace to wait out.
  await Promise.all(targets.map((n) => n.kill()));
  const removed: Record<string, number> = {};
  for (const node of targets) removed[node.id] = await wipeOne(cluster, node);
  await Promise.all(targets.map((n) => n.start()));
  return { nodes: targets.map((n) => n.id), removed };
}

/** Deletes a stopped node's data; answers how many top-level entries went. */
async function wipeOne(cluster: Cluster, node: NodeHandle): Promise<number> {
  if (cluster.runtime === 'process') {
    const dir = node.dataDir;
    if (!dir) throw new Error(`${node.id} has no data dir`);
    const entries = (await readdir(dir)).filter((e) => !LAB_FILES.has(e));
    await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true, force: true })));
    return entries.length;
  }
  const volume = node.volume;
  const container = node.state.container;
  if (!volume || !container) throw new Error(`${node.id} has no data volume`);
  // The stopped container cannot exec; a short-lived one on the node's own image mounts the volume.
  const image = (await dockerClient().getContainer(container).inspect()).Config.Image;
  const helper = await dockerClient().createContainer({
    Image: image,
    User: '0:0',
    Entrypoint: ['sh', '-c'],
    Cmd: ['ls -A /wipe | wc -l; find /wipe -mindepth 1 -delete'],
    // The run's labels: its teardown removes the helper if this process dies before `remove`.
    Labels: runLabels(cluster.runId, {}),
    HostConfig: { Binds: [`${volume}:/wipe`], NetworkMode: 'none' },
  });
  try {
    await helper.start();
    const { StatusCode } = (await helper.wait()) as { StatusCode: number };
    const out = String(await helper.logs({ stdout: true, stderr: true })).replace(/[^\x20-\x7e\n]/g, '');
    if (StatusCode !== 0) throw new Error(`wiping ${volume} exited ${StatusCode}: ${out.trim()}`);
    return Number.parseInt(out.trim(), 10) || 0;
  } finally {
    await helper.remove({ force: true }).catch(() => undefined);
  }
}
