/**
 * Three real blixard-node processes on loopback, with Raft over gRPC and then
 * over Iroh: the cluster forms, writes commit, the leader dies by SIGKILL, a
 * new one is elected, no acknowledged write is lost, the old leader comes back
 * from its data dir and catches up; a fourth node joins and a node leaves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeRole, ReadConsistency, RegisterOp } from '../gen/blixard_pb.js';
import { LocalCluster } from '../testing/index.ts';

const LIVENESS_MS = 30_000;

describe.each(['grpc', 'iroh'] as const)('three nodes with Raft over %s', (raftTransport) => {
  let cluster: LocalCluster;
  const acknowledged = new Map<string, string>();

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      nodes: 3,
      mode: 'dual',
      raftTransport,
      preferIroh: raftTransport === 'iroh' ? ['raft', 'cluster', 'status'] : [],
    });
  });
  afterAll(() => cluster?.stop());

  const status = async (id: string, consistency = ReadConsistency.UNSPECIFIED) =>
    (await cluster.clients(id)).cluster.getClusterStatus({ consistency }, { timeoutMs: 2000 });

  const agreedLeader = (running: string[]) => cluster.agreedLeader(running, { timeoutMs: LIVENESS_MS });

  async function write(via: string, key: string, value: string): Promise<void> {
    const { blixard } = await cluster.clients(via);
    const reply = await blixard.proposeTask({ key, op: RegisterOp.WRITE, value }, { timeoutMs: 10_000 });
    expect(reply.success).toBe(true);
    acknowledged.set(key, value);
  }

  async function read(via: string, key: string): Promise<string> {
    const { blixard } = await cluster.clients(via, 'iroh');
    const reply = await blixard.proposeTask({ key, op: RegisterOp.READ }, { timeoutMs: 10_000 });
    return reply.value;
  }

  it('forms a cluster with one leader and commits a write', async () => {
    const leader = await agreedLeader(['n1', 'n2', 'n3']);
    const s = await status(leader);
    expect(s.members.filter((m) => m.role === NodeRole.LEADER).map((m) => m.id)).toEqual([leader]);
    expect(s.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
    for (let i = 0; i < 20; i++) await write(['n1', 'n2', 'n3'][i % 3] as string, `k${i}`, `v${i}`);
    expect(await read('n2', 'k7')).toBe('v7');
  });

  it('elects a new leader after SIGKILL of the old one and loses no acknowledged write', async () => {
    const old = await agreedLeader(['n1', 'n2', 'n3']);
    await cluster.kill(old, 'SIGKILL');
    const rest = ['n1', 'n2', 'n3'].filter((id) => id !== old);
    const next = await agreedLeader(rest);
    expect(next).not.toBe(old);
    for (let i = 20; i < 30; i++) await write(rest[i % 2] as string, `k${i}`, `v${i}`);
    for (const [key, value] of acknowledged) expect(await read(rest[0] as string, key)).toBe(value);

    cluster.restart(old);
    await agreedLeader(['n1', 'n2', 'n3']);
    // The restarted node catches up: same applied index and state digest as the others.
    await expect
      .poll(() => cluster.replicasAgree(['n1', 'n2', 'n3']), { timeout: LIVENESS_MS, interval: 250 })
      .toBe(true);
  });

  it('adds a fourth node (as a learner, then a voter) and removes one', async () => {
    await cluster.addNode();
    await expect
      .poll(
        async () => {
          const s = await status('n1');
          return s.members.find((m) => m.id === 'n4')?.voter ?? false;
        },
        { timeout: LIVENESS_MS, interval: 250 },
      )
      .toBe(true);
    await write('n4', 'after-join', 'yes');
    expect(await read('n4', 'after-join')).toBe('yes');

    const leader = await agreedLeader(['n1', 'n2', 'n3', 'n4']);
    const leaving = ['n1', 'n2', 'n3', 'n4'].find((id) => id !== leader) as string;
    const reply = await (await cluster.clients(leader)).cluster.leaveCluster(
      { nodeId: leaving },
      { timeoutMs: 10_000 },
    );
    expect(reply.success).toBe(true);
    const s = await status(leader);
    expect(s.members.map((m) => m.id)).not.toContain(leaving);
    await write(leader, 'after-leave', 'yes');
    for (const [key, value] of acknowledged) expect(await read(leader, key)).toBe(value);
  });

  it('stops gracefully on SIGTERM, handing leadership over first', async () => {
    // n1 may have left in the test before, and a node outside the cluster serves no linearizable
    // read: its own view (LOCAL) still lists the nodes to check.
    const running = (await status('n1', ReadConsistency.LOCAL)).members
      .map((m) => m.id)
      .filter((id) => cluster.isRunning(id));
    const leader = await agreedLeader(running);
    await cluster.kill(leader, 'SIGTERM');
    expect(cluster.logTail(leader, 50)).toMatch(
      /leadership transfer before stop","node":"[^"]+","moved":true/,
    );
    await agreedLeader(running.filter((id) => id !== leader));
  });
});
