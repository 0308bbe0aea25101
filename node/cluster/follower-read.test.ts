/**
 * Register reads on three real blixard-node processes are answered by the follower asked, after its
 * read barrier, without forwarding: a read that already took its one hop (`hops: 1`, as a forwarded
 * request arrives) still answers, with every write acknowledged before it, while a write with the
 * same hop count is refused by a follower as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterOp } from '../gen/blixard_pb.js';
import { LocalCluster } from '../testing/index.ts';
import { codeName, RpcError } from '../transport/index.ts';
import { REFUSED } from './refusal.ts';

const LIVENESS_MS = 30_000;
const ALL = ['n1', 'n2', 'n3'];

describe('register reads on a follower', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3, mode: 'dual' });
  });
  afterAll(() => cluster?.stop());

  it.each(['grpc', 'iroh'] as const)('are answered there over %s, linearizably', async (transport) => {
    const leader = await cluster.agreedLeader(ALL, { timeoutMs: LIVENESS_MS });
    const follower = ALL.find((id) => id !== leader) as string;
    const key = `follower-read-${transport}`;
    for (let i = 0; i < 5; i++) {
      const via = ALL[i % 3] as string;
      const { blixard: writer } = await cluster.clients(via, transport);
      await writer.proposeTask({ key, op: RegisterOp.WRITE, value: `v${i}` }, { timeoutMs: 10_000 });
      // Read on the follower with the hop already spent: no forwarding happens to refuse it.
      const { blixard } = await cluster.clients(follower, transport);
      const read = await blixard.proposeTask({ key, op: RegisterOp.READ, hops: 1 }, { timeoutMs: 10_000 });
      expect(read).toMatchObject({ success: true, found: true, value: `v${i}` });
    }
    const { blixard } = await cluster.clients(follower, transport);
    const write = blixard.proposeTask(
      { key, op: RegisterOp.WRITE, value: 'x', hops: 1 },
      { timeoutMs: 10_000 },
    );
    const err = await write.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err instanceof RpcError && `${codeName(err.code)}: ${err.message}`).toMatch(
      new RegExp(`^UNAVAILABLE: ${REFUSED}not the leader`),
    );
  });
});
