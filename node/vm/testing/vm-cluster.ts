/**
 * The clusters the VM tests run on: three real node processes on loopback, VMs as real guest
 * processes, each node with room for many small guests and fast heartbeats and reconciles. Stopping
 * one counts the guests it left behind, which must be none.
 */
import { expect } from 'vitest';
import { LocalCluster } from '../../testing/index.ts';
import type { TransportMode } from '../../transport/index.ts';
import { killGuests } from './guest-processes.ts';

export const VM_NODES = ['n1', 'n2', 'n3'];

type Settings = Record<string, number>;

const VM_SETTINGS: Settings = {
  vcpus: 8,
  memory_mb: 8192,
  guest_memory_scale: 0.01,
  heartbeat_ms: 200,
  reconcile_ms: 200,
};

export interface VmClusterOptions {
  mode: TransportMode;
  /** A [raft] section, when the test times elections itself. */
  raft?: Settings;
  /** [vm] settings over the defaults above. */
  vm?: Settings;
}

export function startVmCluster(opts: VmClusterOptions): Promise<LocalCluster> {
  const raft = opts.raft === undefined ? '' : section('raft', opts.raft);
  return LocalCluster.start({
    nodes: VM_NODES.length,
    mode: opts.mode,
    extraToml: raft + section('vm', { ...VM_SETTINGS, ...opts.vm }),
  });
}

function section(name: string, settings: Settings): string {
  const lines = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
  return `\n[${name}]\n${lines.join('\n')}\n`;
}

/** Writes the last log lines of every node that died under the tests: they say why. */
export function reportDeadNodes(cluster: LocalCluster | undefined): void {
  for (const id of VM_NODES)
    if (cluster && !cluster.isRunning(id)) console.error(`${id} exited:\n${cluster.logTail(id, 30)}`);
}

/**
 * Stops the cluster and kills any guest left under its directory, returning how many there were:
 * nodes stop their guests on SIGTERM, and guests exit when their node dies.
 */
export async function stopVmCluster(cluster: LocalCluster | undefined): Promise<number> {
  const dir = cluster?.dir;
  await cluster?.stop();
  return dir === undefined ? 0 : killGuests(dir);
}

/**
 * For the cluster `current` gives: the nodes still running, a node's ClusterService client, and a
 * wait (bounded by `poll`) until n1's resource summary counts every node.
 */
export function vmClusterAccess(current: () => LocalCluster) {
  const client = async (id: string, transport: 'grpc' | 'iroh' = 'grpc') =>
    (await current().clients(id, transport)).cluster;
  return {
    running: () => VM_NODES.filter((id) => current().isRunning(id)),
    client,
    allNodesReport: async (poll: { timeout: number; interval: number }): Promise<void> => {
      const c = await client('n1');
      await expect
        .poll(
          async () =>
            (await c.getClusterResourceSummary({}, { timeoutMs: 2000 }).catch(() => undefined))?.totalNodes,
          poll,
        )
        .toBe(VM_NODES.length);
    },
  };
}
