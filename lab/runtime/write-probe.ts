/**
 * One register write through the agreed leader, then every node's commit index at or past it: the
 * smallest proof that a cluster is whole. Bounded by the cluster's own timeouts, and it says what it
 * last saw when it gives up.
 */
import type { Cluster } from './cluster.ts';
import { REPLICATION_BOUND_MS, waitUntil } from './wait.ts';

export async function writeAndAwaitCommit(cluster: Cluster): Promise<{ leader: string; index: bigint }> {
  const leader = await cluster.waitForLeader();
  const client = cluster.node(leader).clients[0];
  if (!client) throw new Error(`${leader} serves no transport the lab can reach`);
  const reply = await client.blixard.proposeTask(
    { key: 'lab', op: 1, value: 'written' },
    { timeoutMs: 10_000 },
  );
  if (!reply.success) throw new Error(`the write through ${leader} failed: ${reply.message}`);
  await waitUntil({
    what: `every node to commit index ${reply.index}`,
    boundMs: REPLICATION_BOUND_MS,
    probe: () => cluster.status(),
    holds: (statuses) => statuses.every((s) => s.commit !== 'unknown' && BigInt(s.commit) >= reply.index),
    show: (statuses) => statuses.map((s) => `${s.id}: ${s.role}, commit ${s.commit}`).join('; '),
  });
  return { leader, index: reply.index };
}
