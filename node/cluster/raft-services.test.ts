/**
 * The consensus RPC handlers over a real single-node driver (in-memory storage, no network): what
 * JoinCluster, LeaveCluster, GetClusterStatus and GetRaftStatus answer, called directly with the
 * context each transport would give them.
 */

import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClusterStatusRequestSchema,
  JoinClusterRequestSchema,
  LeaveClusterRequestSchema,
  RaftStatusRequestSchema,
} from '../gen/blixard_pb.js';
import {
  type CallContext,
  ClusterService,
  codeName,
  RpcError,
  type TransportKind,
} from '../transport/index.ts';
import type { RaftDriver } from './raft-driver.ts';
import { unheardNode } from './testing.ts';

const TICK_MS = 5;
const ELECTION_TICKS = 10;
/** Generous: a single voter elects itself within two election timeouts. */
const SETTLE_MS = 40 * TICK_MS * ELECTION_TICKS;

const started: RaftDriver[] = [];
afterEach(async () => {
  for (const d of started.splice(0)) await d.stop();
});

interface JoinExtra {
  address?: { grpc: string; irohNodeId: string; irohAddrs: string[] };
  joinToken?: string;
}

async function singleNode(joinToken?: string) {
  const { driver, state, services } = unheardNode({
    voters: ['n1'],
    tickMs: TICK_MS,
    electionTicks: ELECTION_TICKS,
    mode: 'dual',
    proposalTimeoutMs: SETTLE_MS,
    read: { timeoutMs: SETTLE_MS, attemptMs: TICK_MS * ELECTION_TICKS, retryMs: TICK_MS },
    joinToken,
  });
  started.push(driver);
  driver.start();
  const until = Date.now() + SETTLE_MS;
  while (!driver.isLeader && Date.now() < until) await new Promise((r) => setTimeout(r, TICK_MS));
  expect(driver.isLeader, `n1 not leader after ${SETTLE_MS} ms: ${JSON.stringify(driver.status())}`).toBe(
    true,
  );
  const cluster = services.cluster;
  const ctx = (transport: TransportKind): CallContext =>
    ({
      signal: new AbortController().signal,
      transport,
      peer: transport === 'grpc' ? '127.0.0.1:50000' : 'some-iroh-id',
      method: ClusterService.method.joinCluster,
      group: 'cluster',
    }) as CallContext;
  const join = async (nodeId: string, via: TransportKind, extra: JoinExtra = {}) => {
    if (!cluster.joinCluster) throw new Error('no joinCluster handler');
    return await cluster.joinCluster(create(JoinClusterRequestSchema, { nodeId, ...extra }), ctx(via));
  };
  const leave = async (nodeId: string, via: TransportKind, joinToken = '') => {
    if (!cluster.leaveCluster) throw new Error('no leaveCluster handler');
    return await cluster.leaveCluster(create(LeaveClusterRequestSchema, { nodeId, joinToken }), ctx(via));
  };
  const status = async () => {
    if (!cluster.getClusterStatus) throw new Error('no getClusterStatus handler');
    return await cluster.getClusterStatus(create(ClusterStatusRequestSchema, {}), ctx('grpc'));
  };
  const raftStatus = async () => {
    if (!services.blixard.getRaftStatus) throw new Error('no getRaftStatus handler');
    return await services.blixard.getRaftStatus(create(RaftStatusRequestSchema, {}), ctx('grpc'));
  };
  return { driver, state, join, leave, status, raftStatus };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof RpcError ? `${codeName(err.code)}: ${err.message}` : String(err);
  }
}

const ghostAddress = { grpc: '127.0.0.1:9', irohNodeId: 'ghost-iroh-id', irohAddrs: ['127.0.0.1:9'] };

describe('GetRaftStatus', () => {
  it('gives the term of the last log entry', async () => {
    const n = await singleNode();
    const s = await n.raftStatus();
    expect(s.term).toBeGreaterThan(1n);
    expect(s.lastLogIndex).toBeGreaterThan(1n);
    expect(s.lastLogTerm).toBe(s.term);
  });
});

describe('JoinCluster of a node that is never reached', () => {
  it('leaves it a learner, reported unreachable, that LeaveCluster removes; writes go on', async () => {
    const n = await singleNode();
    const reply = await n.join('ghost', 'grpc', { address: ghostAddress });
    expect(reply.message).toBe('added as learner');
    const ghost = (await n.status()).members?.find((m) => m.id === 'ghost');
    expect(ghost).toMatchObject({ voter: false, reachable: false });
    expect(n.driver.status().confState).toEqual({ voters: ['n1'], learners: ['ghost'] });
    await n.driver.propose({ type: 'register.write', key: 'k', value: 'v' }, SETTLE_MS);
    expect((await n.leave('ghost', 'grpc')).success).toBe(true);
    expect(n.driver.status().confState).toEqual({ voters: ['n1'], learners: [] });
  });
});

describe('JoinCluster of a node that is already a member', () => {
  it('keeps its recorded address and lists members as GetClusterStatus does', async () => {
    const n = await singleNode();
    await n.join('n2', 'grpc', { address: ghostAddress });
    const again = await n.join('n2', 'grpc');
    expect(again.message).toBe('already a member');
    expect(again.members).toEqual((await n.status()).members);
    expect(again.members?.find((m) => m.id === 'n2')?.address).toMatchObject(ghostAddress);
  });
});

describe('the join token', () => {
  it('over gRPC: a missing or wrong token is PERMISSION_DENIED and changes nothing', async () => {
    const n = await singleNode('s3cret');
    const before = n.state.applied;
    expect(await codeOf(n.join('ghost', 'grpc', { address: ghostAddress }))).toMatch(/^PERMISSION_DENIED/);
    expect(await codeOf(n.join('ghost', 'grpc', { joinToken: 'wrong' }))).toMatch(/^PERMISSION_DENIED/);
    expect(await codeOf(n.leave('n1', 'grpc'))).toMatch(/^PERMISSION_DENIED/);
    expect(n.driver.status().confState).toEqual({ voters: ['n1'], learners: [] });
    expect(n.state.applied).toBe(before);
    expect(n.state.member('ghost')).toBeUndefined();
  });

  it('over gRPC with the right token, and over Iroh (admitted peers only), membership changes', async () => {
    const n = await singleNode('s3cret');
    expect((await n.join('ghost', 'grpc', { joinToken: 's3cret' })).success).toBe(true);
    expect(await codeOf(n.leave('ghost', 'grpc', 'nope'))).toMatch(/^PERMISSION_DENIED/);
    expect((await n.leave('ghost', 'grpc', 's3cret')).success).toBe(true);
    expect((await n.join('other', 'iroh')).success).toBe(true);
  });

  it('without a configured token, gRPC membership changes stay open', async () => {
    const n = await singleNode();
    expect((await n.join('ghost', 'grpc')).success).toBe(true);
  });
});
