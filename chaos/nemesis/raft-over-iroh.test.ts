/**
 * Raft over Iroh on the docker runtime, where the hub is the only path between nodes: after a
 * partition heals, the cluster elects again within a few election timeouts. Nodes dial Iroh through
 * the (from → to) link; a dial that rode another link's session, or an endpoint that kept a dead
 * path, would leave the cut-off node a pre-candidate for good. Skipped where no Docker engine answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, dockerReachable } from '../../lab/runtime/index.ts';
import { Nemesis } from './nemesis.ts';
import { op } from './schedule.ts';

const docker = await dockerReachable();

// The node's defaults: tick 50 ms, election timeout in [10, 20) ticks.
const ELECTION_TIMEOUT_MAX_MS = 20 * 50;
// What a node needs to find a healed peer: its breaker's longest open period, then an Iroh handshake.
const BREAKER_MAX_OPEN_MS = 2000;
const IROH_CONNECT_TIMEOUT_MS = 2000;
/** Heal → one agreed leader: reaching the peers again, then a few election rounds. */
const ELECT_BOUND_MS = BREAKER_MAX_OPEN_MS + IROH_CONNECT_TIMEOUT_MS + 4 * ELECTION_TIMEOUT_MAX_MS;

describe.skipIf(!docker)('Raft over Iroh on a docker cluster', () => {
  let cluster: Cluster;
  let nemesis: Nemesis;

  beforeAll(async () => {
    cluster = await Cluster.start({
      nodes: 3,
      runtime: 'docker',
      mode: 'dual',
      seed: 11,
      strategy: {
        preferIroh: ['health', 'status', 'vm_ops', 'tasks', 'cluster'],
        raftTransport: 'iroh',
        fallbackToGrpc: true,
      },
    });
    nemesis = new Nemesis(cluster, { seed: 11 });
  }, 600_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('elects a leader again within a few election timeouts of every heal', async () => {
    await cluster.waitForLeader(60_000);
    for (const kind of ['leader', 'isolate', 'halves'] as const) {
      await nemesis.apply(
        op(kind === 'isolate' ? { do: 'partition', kind, node: 'n1' } : { do: 'partition', kind }),
      );
      // Long enough for the cut-off side's breakers to open and its Iroh connections to die.
      await new Promise((r) => setTimeout(r, 3 * ELECTION_TIMEOUT_MAX_MS + BREAKER_MAX_OPEN_MS));
      await nemesis.apply(op({ do: 'heal' }));
      // waitForLeader gives up with what every node said (role, term, leader).
      await expect(cluster.waitForLeader(ELECT_BOUND_MS), `after '${kind}' healed`).resolves.toMatch(/^n\d$/);
    }
  }, 240_000);
});
