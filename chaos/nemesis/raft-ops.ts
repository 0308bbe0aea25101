/**
 * The nemesis' Raft-level ops against a lab cluster: a leadership transfer and membership changes,
 * each sent to the leader (the side of a partition that can commit) over a transport it serves.
 * A change the cluster refused before proposing it (no leader yet, no quorum yet: it certainly did
 * not happen) is sent again to whoever leads then, within the op's bound; what the node finally
 * answered goes into the op's record.
 */
import type { Cluster } from '../../lab/runtime/index.ts';
import { readNodeConfig } from '../../lab/topology/index.ts';
import { isRefusal } from '../../node/cluster/index.ts';
import { ReadConsistency } from '../../node/gen/blixard_pb.js';
import { orAbsent, sleep } from '../../node/lib/index.ts';

/** The node's clients, gRPC first (membership changes are the same on both transports). */
function rpcOf(cluster: Cluster, id: string) {
  const node = cluster.node(id);
  const c = node.grpc ?? node.iroh;
  if (!c) throw new Error(`${id} serves no transport`);
  return c.cluster;
}

/** Who leads now (the nemesis asks every node). */
export type LeaderOf = () => Promise<string>;

/** Sends `call` to the leader until it is not refused, or `timeoutMs` has passed (then the last error). */
async function toLeader<T>(
  leaderOf: LeaderOf,
  timeoutMs: number,
  call: (leader: string, remainingMs: number) => Promise<T>,
): Promise<T & { via: string; tries: number }> {
  const deadline = performance.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    try {
      const leader = await leaderOf();
      const remaining = Math.max(1000, deadline - performance.now());
      return { ...(await call(leader, remaining)), via: leader, tries };
    } catch (err) {
      const noLeader = err instanceof Error && /no node knows a leader/.test(err.message);
      if (!(isRefusal(err) || noLeader) || performance.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/**
 * TransferLeadership to `node` (what the old leader then knows goes into the record), or
 * LeaveCluster of `node`, sent to the leader.
 */
export function changeLeadership(
  cluster: Cluster,
  leaderOf: LeaderOf,
  change: 'transfer' | 'leave',
  node: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return toLeader(leaderOf, timeoutMs, async (leader, ms) => {
    const rpc = rpcOf(cluster, leader);
    if (change === 'leave') {
      const left = await rpc.leaveCluster({ nodeId: node }, { timeoutMs: ms });
      return { node, message: left.message };
    }
    const moved = await rpc.transferLeadership({ to: node }, { timeoutMs: ms });
    return { from: leader, to: node, node, leaderAfter: moved.leaderId, message: moved.message };
  });
}

/**
 * JoinCluster of `node` with the addresses the lab knows and the capacity in its config, sent to
 * the leader; then waits, up to `timeoutMs`, until the leader lists it as a voter again (a learner
 * is promoted once caught up). A node still a learner at the end is an error naming what was seen.
 */
export async function joinCluster(
  cluster: Cluster,
  leaderOf: LeaderOf,
  node: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const started = performance.now();
  const state = cluster.node(node).state;
  const config = await orAbsent(readNodeConfig(state.configPath));
  const reply = await toLeader(leaderOf, timeoutMs, (leader, ms) =>
    rpcOf(cluster, leader).joinCluster(
      {
        nodeId: node,
        address: { grpc: state.clientGrpc, irohNodeId: state.irohId, irohAddrs: [state.clientIroh] },
        ...(config && {
          capacity: { vcpus: config.vm.vcpus, memoryMb: BigInt(config.vm.memory_mb), diskGb: 0n },
        }),
      },
      { timeoutMs: ms },
    ),
  );
  const leader = reply.via;
  const rpc = rpcOf(cluster, leader);
  let seen = reply.message;
  while (performance.now() - started < timeoutMs) {
    const status = await orAbsent(
      rpc.getClusterStatus({ consistency: ReadConsistency.LOCAL }, { timeoutMs: 2000 }),
    );
    const member = status?.members.find((m) => m.id === node);
    if (member?.voter) return { node, via: leader, tries: reply.tries, voter: true, message: reply.message };
    seen = member ? `a learner at match index ${member.matchIndex}` : `not a member of ${leader}'s view`;
    await sleep(250);
  }
  throw new Error(`${node} rejoined (${reply.message}) but is not a voter after ${timeoutMs} ms: ${seen}`);
}
