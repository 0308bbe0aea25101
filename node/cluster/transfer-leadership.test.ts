/**
 * TransferLeadership on three real blixard-node processes: sent to a follower over gRPC and over
 * Iroh, it is forwarded to the leader, which hands leadership to the named voter (or the most
 * caught-up one) and answers once it no longer leads; a name that is not a voter is refused without
 * a leader change, and writes commit under the new leader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterOp } from '../gen/blixard_pb.js';
import { LocalCluster } from '../testing/index.ts';
import { codeName, RpcError } from '../transport/index.ts';

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
