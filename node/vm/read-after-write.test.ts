/**
 * Reads are linearizable by default: once a write is acknowledged, a read on
 * any node — a follower included, asked at once, even the follower that
 * forwarded the write — sees it. Three real node processes; every round
 * writes through one node and reads on all three straight away. Without a
 * read barrier a follower answers from what it has applied, which trails the
 * leader's acknowledgement by up to a heartbeat: most rounds would see the
 * stale state.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VmState } from '../gen/blixard_pb.js';
import type { LocalCluster } from '../testing/index.ts';
import { RpcError } from '../transport/index.ts';
import { VM_NODES as NODES, reportDeadNodes, startVmCluster, stopVmCluster } from './testing/vm-cluster.ts';

const TICK_MS = 50;
const ELECTION_TICKS = 10;
/** The longest election timeout ([election_ticks, 2 × election_ticks) ticks). */
const ELECTION_MS = 2 * ELECTION_TICKS * TICK_MS;
/** Bound for a VM to settle (boot or stop): many election timeouts, the host's two cores being shared. */
const SETTLE_MS = 60 * ELECTION_MS;
const ROUNDS = 6;
const t = { timeoutMs: 10_000 };

vi.setConfig({ testTimeout: 240_000 });

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startVmCluster({
    mode: 'grpc',
    raft: { tick_ms: TICK_MS, election_ticks: ELECTION_TICKS },
  });
  await cluster.agreedLeader(NODES, { timeoutMs: 30 * ELECTION_MS });
});

afterAll(async () => {
  reportDeadNodes(cluster);
  expect(await stopVmCluster(cluster)).toBe(0);
});

const client = async (id: string) => (await cluster.clients(id)).cluster;

/** What a GetVmStatus on `id` answers: the state's name, or the status code's. */
async function vmSeenOn(id: string, name: string): Promise<string> {
  try {
    const r = await (await client(id)).getVmStatus({ name }, t);
    return VmState[r.vm?.state ?? VmState.UNSPECIFIED] ?? 'UNKNOWN';
  } catch (err) {
    if (err instanceof RpcError) return err.codeName;
    throw err;
  }
}

/** Reads on every node at once, right after an acknowledged write: one line per node. */
async function everyNode<T>(read: (id: string) => Promise<T>): Promise<Record<string, T>> {
  const seen = await Promise.all(NODES.map(async (id) => [id, await read(id)] as const));
  return Object.fromEntries(seen);
}

/** The node each round writes through: the leader and both followers take turns. */
const writer = (round: number) => NODES[round % NODES.length] as string;

/**
 * Runs `rounds` rounds of one write and, at once, one read on every node; returns every read that
 * missed its round's write ("round 7 via n2: n3 saw false"), so a failure shows them all.
 */
async function staleReads<T>(
  rounds: number,
  write: (round: number, via: string) => Promise<void>,
  read: (round: number, id: string) => Promise<T>,
  fresh: (seen: T) => boolean,
): Promise<string[]> {
  const stale: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const via = writer(round);
    await write(round, via);
    const seen = await Promise.all(NODES.map((id) => read(round, id)));
    seen.forEach((s, i) => {
      if (!fresh(s)) stale.push(`round ${round} via ${via}: ${NODES[i]} saw ${JSON.stringify(s)}`);
    });
  }
  return stale;
}

describe('a read after an acknowledged write', () => {
  // Cheap writes, many rounds: a stale follower read shows in a few percent of rounds.
  it('sees a shared image on every node (ListP2pImages)', async () => {
    const stale = await staleReads(
      150,
      async (round, via) => {
        await (await client(via)).shareVmImage(
          { imageName: `raw-img-${round}`, data: Uint8Array.of(round) },
          t,
        );
      },
      async (round, id) =>
        (await (await client(id)).listP2pImages({}, t)).images.some((i) => i.name === `raw-img-${round}`),
      (found) => found,
    );
    expect(stale).toEqual([]);
  });

  it('sees a submitted task on every node (GetTaskStatus)', async () => {
    const stale = await staleReads(
      30,
      async (round, via) => {
        await (await client(via)).submitTask({ taskId: `raw-task-${round}`, spec: { command: 'true' } }, t);
      },
      async (round, id) => (await (await client(id)).getTaskStatus({ taskId: `raw-task-${round}` }, t)).found,
      (found) => found,
    );
    expect(stale).toEqual([]);
  });

  it('sees a created VM, then its deletion, on every node (GetVmStatus, ListVms)', async () => {
    const stale: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const name = `raw-vm-${round}`;
      const via = writer(round);
      const c = await client(via);
      await c.createVm({ name, vcpus: 1, memoryMb: 64n }, t);
      const afterCreate = await everyNode(async (id) => ({
        status: await vmSeenOn(id, name),
        listed: (await (await client(id)).listVms({}, t)).vms.some((v) => v.name === name),
      }));
      for (const [id, s] of Object.entries(afterCreate))
        if (!['STARTING', 'RUNNING'].includes(s.status) || !s.listed)
          stale.push(`create ${round} via ${via}: ${id} saw ${JSON.stringify(s)}`);

      await c.stopVm({ name }, t);
      let last = '';
      await expect
        .poll(async () => (last = await vmSeenOn(via, name)), { timeout: SETTLE_MS, interval: 100 })
        .toBe('STOPPED');
      expect(last).toBe('STOPPED');
      await c.deleteVm({ name }, t);
      const afterDelete = await everyNode(async (id) => ({
        status: await vmSeenOn(id, name),
        listed: (await (await client(id)).listVms({}, t)).vms.some((v) => v.name === name),
      }));
      for (const [id, s] of Object.entries(afterDelete))
        if (s.status !== 'NOT_FOUND' || s.listed)
          stale.push(`delete ${round} via ${via}: ${id} saw ${JSON.stringify(s)}`);
    }
    expect(stale).toEqual([]);
  });
});
