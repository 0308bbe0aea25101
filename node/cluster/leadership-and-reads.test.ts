/**
 * Leadership and reads on three real blixard-node processes (one cluster for both):
 * - TransferLeadership, sent to a follower over gRPC and over Iroh, is forwarded to the leader,
 *   which hands leadership to the named voter (or the most caught-up one) and answers once it no
 *   longer leads; a name that is not a voter is refused without a leader change, and writes commit
 *   under the new leader.
 * - Register reads are answered by the follower asked, after its read barrier, without forwarding:
 *   a read that already took its one hop (`hops: 1`, as a forwarded request arrives) still answers,
 *   with every write acknowledged before it, while a write with the same hop count is refused by a
 *   follower as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterOp } from '../gen/blixard_pb.js';
import { LocalCluster } from '../testing/index.ts';
import { codeName, RpcError } from '../transport/index.ts';
import { REFUSED } from './refusal.ts';

const LIVENESS_MS = 30_000;
const ALL = ['n1', 'n2', 'n3'];

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await LocalCluster.start({ nodes: 3, mode: 'dual' });
});
afterAll(() => cluster?.stop());

describe('TransferLeadership', () => {
  const agreedLeader = () => cluster.agreedLeader(ALL, { timeoutMs: LIVENESS_MS });

  it.each(['grpc', 'iroh'] as const)(
    'sent to a follower over %s, moves leadership to the named voter',
    async (transport) => {
      const old = await agreedLeader();
      const [via, to] = ALL.filter((id) => id !== old) as [string, string];
      const { cluster: rpc, blixard } = await cluster.clients(via, transport);
      const reply = await rpc.transferLeadership({ to }, { timeoutMs: 10_000 });
      expect(reply.success, reply.message).toBe(true);
      expect(reply.leaderId).not.toBe(old);
      await expect.poll(agreedLeader, { timeout: LIVENESS_MS, interval: 250 }).toBe(to);
      const write = await blixard.proposeTask(
        { key: `after-transfer-${transport}`, op: RegisterOp.WRITE, value: to },
        { timeoutMs: 10_000 },
      );
      expect(write.success).toBe(true);
    },
  );

  it('with no target, hands leadership to another voter', async () => {
    const old = await agreedLeader();
    const { cluster: rpc } = await cluster.clients(old);
    const reply = await rpc.transferLeadership({}, { timeoutMs: 10_000 });
    expect(reply.success, reply.message).toBe(true);
    await expect.poll(agreedLeader, { timeout: LIVENESS_MS, interval: 250 }).not.toBe(old);
  });

  it('refuses a target that is not a voter, and an id that is not a name, leaving the leader', async () => {
    const old = await agreedLeader();
    const { cluster: rpc } = await cluster.clients(old);
    const refusal = async (to: string) => {
      try {
        await rpc.transferLeadership({ to }, { timeoutMs: 10_000 });
        return 'OK';
      } catch (err) {
        return err instanceof RpcError ? `${codeName(err.code)}: ${err.message}` : String(err);
      }
    };
    expect(await refusal('n9')).toBe('FAILED_PRECONDITION: n9 is not a voter');
    expect(await refusal('../n2')).toMatch(/^INVALID_ARGUMENT: to/);
    expect(await agreedLeader()).toBe(old);
  });
});

describe('register reads on a follower', () => {
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
