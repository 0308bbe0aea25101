/**
 * JoinCluster naming a node that does not exist (nothing listens at its address), against real
 * blixard-node processes: the ghost stays a learner, never reached and never a voter; the cluster
 * keeps committing; LeaveCluster removes it, and so does the leader once the catch-up bound has
 * passed. With a join token, gRPC membership changes without it are refused, and a joining node
 * sends the token from its own config.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterStatusResponse, RegisterOp } from '../gen/blixard_pb.js';
import { LocalCluster } from '../testing/index.ts';
import { Code, codeName, RpcError } from '../transport/index.ts';

const TICK_MS = 50;
const ELECTION_TICKS = 10;
/** The longest randomized election timeout: [election_ticks, 2 × election_ticks) ticks. */
const ELECTION_MAX_MS = 2 * ELECTION_TICKS * TICK_MS;
const PROPOSAL_TIMEOUT_MS = 5000;
const LEARNER_TIMEOUT_MS = 4 * ELECTION_MAX_MS;
const RAFT = `
[raft]
tick_ms = ${TICK_MS}
election_ticks = ${ELECTION_TICKS}
proposal_timeout_ms = ${PROPOSAL_TIMEOUT_MS}
learner_catch_up_timeout_ms = ${LEARNER_TIMEOUT_MS}
`;
/** Bound for a cluster to form or a node to join: many election timeouts on a loaded machine. */
const LIVENESS_MS = 30 * ELECTION_MAX_MS;
/** Nothing listens on the discard port. */
const GHOST = { nodeId: 'ghost', address: { grpc: '127.0.0.1:9' } };

async function statusOf(cluster: LocalCluster, id: string): Promise<ClusterStatusResponse> {
  return (await cluster.clients(id)).cluster.getClusterStatus({}, { timeoutMs: 2000 });
}

function brief(s: ClusterStatusResponse): string {
  const members = s.members.map(
    (m) => `${m.id}(voter=${m.voter},reachable=${m.reachable},match=${m.matchIndex})`,
  );
  return `leader=${s.leaderId} term=${s.term} commit=${s.commitIndex} members=${members.join(' ')}`;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof RpcError ? codeName(err.code) : String(err);
  }
}

describe('a single-node cluster and a JoinCluster of an unreachable node', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 1, extraToml: RAFT });
    await cluster.agreedLeader(['n1'], { timeoutMs: LIVENESS_MS });
  });
  afterAll(() => cluster?.stop());

  it('keeps committing writes with the ghost a learner, and LeaveCluster removes it', async () => {
    const { cluster: rpc, blixard } = await cluster.clients('n1');
    const joined = await rpc.joinCluster(GHOST, { timeoutMs: 2 * PROPOSAL_TIMEOUT_MS });
    expect(joined.message).toBe('added as learner');
    // Check-quorum would depose the leader within an election timeout if the ghost were a voter;
    // watch for several, short of the catch-up bound that removes the ghost by itself.
    const until = Date.now() + 3 * ELECTION_MAX_MS;
    for (let i = 0; Date.now() < until; i++) {
      const write = await codeOf(
        blixard.proposeTask(
          { key: `k${i}`, op: RegisterOp.WRITE, value: 'v' },
          { timeoutMs: PROPOSAL_TIMEOUT_MS },
        ),
      );
      const s = await statusOf(cluster, 'n1');
      const ghost = s.members.find((m) => m.id === 'ghost');
      expect(
        { write, leader: s.leaderId, voter: ghost?.voter, reachable: ghost?.reachable },
        `write ${i}; last status: ${brief(s)}`,
      ).toEqual({ write: 'OK', leader: 'n1', voter: false, reachable: false });
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const left = await rpc.leaveCluster({ nodeId: 'ghost' }, { timeoutMs: 2 * PROPOSAL_TIMEOUT_MS });
    expect(left.success).toBe(true);
    const s = await statusOf(cluster, 'n1');
    expect(
      s.members.map((m) => m.id),
      brief(s),
    ).toEqual(['n1']);
    const after = await blixard.proposeTask(
      { key: 'after', op: RegisterOp.WRITE, value: 'v' },
      { timeoutMs: PROPOSAL_TIMEOUT_MS },
    );
    expect(after.success).toBe(true);
  });
});

describe('a three-node cluster with a join token and a JoinCluster of an unreachable node', () => {
  let cluster: LocalCluster;
  const token = 'lab-join-token';
  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3, joinToken: token, extraToml: RAFT });
    await cluster.agreedLeader(['n1', 'n2', 'n3'], { timeoutMs: LIVENESS_MS });
  });
  afterAll(() => cluster?.stop());

  it('refuses gRPC membership changes without the token, changing nothing', async () => {
    const { cluster: rpc } = await cluster.clients('n2');
    expect(await codeOf(rpc.joinCluster(GHOST, { timeoutMs: 2 * PROPOSAL_TIMEOUT_MS }))).toBe(
      codeName(Code.PERMISSION_DENIED),
    );
    expect(
      await codeOf(rpc.joinCluster({ ...GHOST, joinToken: 'wrong' }, { timeoutMs: 2 * PROPOSAL_TIMEOUT_MS })),
    ).toBe(codeName(Code.PERMISSION_DENIED));
    expect(await codeOf(rpc.leaveCluster({ nodeId: 'n3' }, { timeoutMs: 2 * PROPOSAL_TIMEOUT_MS }))).toBe(
      codeName(Code.PERMISSION_DENIED),
    );
    const s = await statusOf(cluster, 'n2');
    expect(
      s.members.map((m) => m.id),
      brief(s),
    ).toEqual(['n1', 'n2', 'n3']);
  });

  it('never makes the ghost a voter, and removes it once the catch-up bound has passed', async () => {
    const { cluster: rpc } = await cluster.clients('n1');
    const joined = await rpc.joinCluster(
      { ...GHOST, joinToken: token },
      { timeoutMs: 2 * PROPOSAL_TIMEOUT_MS },
    );
    expect(joined.success).toBe(true);
    const until = Date.now() + LEARNER_TIMEOUT_MS + LIVENESS_MS;
    let last: ClusterStatusResponse | undefined;
    let seen = false;
    while (Date.now() < until) {
      const leader = await cluster.agreedLeader(['n1', 'n2', 'n3'], { timeoutMs: LIVENESS_MS });
      last = await statusOf(cluster, leader);
      const ghost = last.members.find((m) => m.id === 'ghost');
      if (ghost) seen = true;
      expect({ voter: ghost?.voter ?? false, reachable: ghost?.reachable ?? false }, brief(last)).toEqual({
        voter: false,
        reachable: false,
      });
      if (seen && !ghost) break;
      await new Promise((r) => setTimeout(r, 4 * TICK_MS));
    }
    expect(seen, 'the ghost was never listed').toBe(true);
    expect(
      last?.members.map((m) => m.id),
      last && brief(last),
    ).toEqual(['n1', 'n2', 'n3']);
  });

  it('a new leader removes a ghost that an earlier leader added', async () => {
    const all = ['n1', 'n2', 'n3'];
    const { cluster: rpc } = await cluster.clients('n1');
    await rpc.joinCluster({ ...GHOST, joinToken: token }, { timeoutMs: 2 * PROPOSAL_TIMEOUT_MS });
    const old = await cluster.agreedLeader(all, { timeoutMs: LIVENESS_MS });
    await cluster.kill(old, 'SIGKILL');
    const rest = all.filter((id) => id !== old);
    const until = Date.now() + LEARNER_TIMEOUT_MS + LIVENESS_MS;
    let last = '';
    let gone = false;
    while (!gone && Date.now() < until) {
      const leader = await cluster.agreedLeader(rest, { notThis: old, timeoutMs: LIVENESS_MS });
      const s = await statusOf(cluster, leader);
      last = brief(s);
      gone = !s.members.some((m) => m.id === 'ghost');
      if (!gone) await new Promise((r) => setTimeout(r, 4 * TICK_MS));
    }
    expect(gone, `ghost still a member after ${LEARNER_TIMEOUT_MS + LIVENESS_MS} ms; last: ${last}`).toBe(
      true,
    );
    cluster.restart(old);
    await cluster.agreedLeader(all, { timeoutMs: LIVENESS_MS });
  });

  it('a joining node sends the token from its config and becomes a voter', async () => {
    await cluster.addNode();
    const until = Date.now() + LIVENESS_MS;
    let last = '';
    let voter = false;
    while (!voter && Date.now() < until) {
      const s = await statusOf(cluster, 'n1');
      last = brief(s);
      voter = s.members.find((m) => m.id === 'n4')?.voter ?? false;
      if (!voter) await new Promise((r) => setTimeout(r, 250));
    }
    expect(voter, `n4 not a voter after ${LIVENESS_MS} ms; last: ${last}\n${cluster.logTail('n4', 10)}`).toBe(
      true,
    );
  });
});
