/**
 * One register write through the agreed leader, then every node's commit index at or past it: the
 * smallest proof that a cluster is whole. Bounded, and it says what it last saw when it gives up.
 */
import { sleep } from '../../node/lib/index.ts';
import type { Cluster } from './cluster.ts';

export async function writeAndAwaitCommit(
  cluster: Cluster,
  timeoutMs = 30_000,
): Promise<{ leader: string; index: bigint }> {
  const leader = await cluster.waitForLeader();
  const client = cluster.node(leader).clients[0];
  if (!client) throw new Error(`${leader} serves no transport the lab can reach`);
  const reply = await client.blixard.proposeTask(
    { key: 'lab', op: 1, value: 'written' },
    { timeoutMs: 10_000 },
  );
  if (!reply.success) throw new Error(`the write through ${leader} failed: ${reply.message}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await cluster.status();
    if (statuses.every((s) => s.commit !== 'unknown' && BigInt(s.commit) >= reply.index)) {
      return { leader, index: reply.index };
    }
    if (Date.now() > deadline) {
      const seen = statuses.map((s) => `${s.id}: commit ${s.commit}`).join(', ');
      throw new Error(
        `not every node reached commit ${reply.index} within ${timeoutMs / 1000} s (last: ${seen})`,
      );
    }
    await sleep(200);
  }
}
