/**
 * The driver against in-memory storage and a direct in-process network: a
 * follower's ReadIndex (forwarded by the core to the leader) resolves with the
 * leader's confirmed index instead of being dropped as an orphan.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { bootstrapState, MemoryStorage, type RaftMessage } from '../raft/index.ts';
import { ClusterState } from '../state/index.ts';
import { RaftDriver } from './raft-driver.ts';

const ids = ['a', 'b', 'c'];
let drivers: RaftDriver[] = [];

function startCluster(): Map<string, RaftDriver> {
  const byId = new Map<string, RaftDriver>();
  for (const [i, id] of ids.entries()) {
    const storage = new MemoryStorage(bootstrapState(ids));
    const driver = new RaftDriver(
      {
        id,
        storage,
        state: new ClusterState(),
        timings: { tickMs: 5, electionTicks: 10, heartbeatTicks: 1, snapshotEntries: 10_000 },
        send: (messages: readonly RaftMessage[]) => {
          for (const m of messages) setImmediate(() => byId.get(m.to)?.step(m));
        },
        log: createLogger('test'),
        seed: i + 1,
      },
      storage.load(),
    );
    byId.set(id, driver);
  }
  drivers = [...byId.values()];
  for (const d of drivers) d.start();
  return byId;
}

afterEach(async () => {
  for (const d of drivers) await d.stop();
});

describe('RaftDriver', () => {
  it('serves a linearizable read point on a follower', async () => {
    const byId = startCluster();
    await expect.poll(() => drivers.some((d) => d.isLeader), { timeout: 10_000 }).toBe(true);
    const leader = drivers.find((d) => d.isLeader) as RaftDriver;
    const { index } = await leader.propose({ type: 'register.write', key: 'k', value: 'v' }, 5000);
    const follower = ids.map((id) => byId.get(id) as RaftDriver).find((d) => !d.isLeader) as RaftDriver;
    await expect.poll(() => follower.leaderId, { timeout: 10_000 }).not.toBe('');
    const readAt = await follower.readIndex(5000);
    expect(readAt).toBeGreaterThanOrEqual(index);
  });

  it('fails a proposal with UNAVAILABLE on a follower, naming the leader', async () => {
    startCluster();
    await expect.poll(() => drivers.some((d) => d.isLeader), { timeout: 10_000 }).toBe(true);
    const follower = drivers.find((d) => !d.isLeader) as RaftDriver;
    await expect.poll(() => follower.leaderId, { timeout: 10_000 }).not.toBe('');
    await expect(follower.propose({ type: 'noop' }, 1000)).rejects.toMatchObject({
      codeName: 'UNAVAILABLE',
      message: expect.stringMatching(/leader is [abc]/),
    });
  });
});
