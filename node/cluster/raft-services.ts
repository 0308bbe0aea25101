/**
 * The consensus-facing RPCs: SendRaftMessage, GetRaftStatus, GetClusterStatus,
 * JoinCluster, LeaveCluster, TransferLeadership and ProposeTask. Writes go to the leader: a
 * follower forwards them (once), and a node without a leader — or without a
 * quorum — answers UNAVAILABLE, never a stale success. GetClusterStatus and
 * register reads pass the node's read barrier first; GetRaftStatus is this
 * node's own Raft view and answers at once.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import {
  type ClusterMember,
  ClusterMemberSchema,
  NodeRole,
  TransportMode as ProtoMode,
  RegisterOp,
} from '../gen/blixard_pb.js';
import { decodeMessage, type RaftMessage, type RaftStatus, type Role } from '../raft/index.ts';
import type { ClusterState, MemberRecord } from '../state/index.ts';
import {
  BlixardService,
  type CallContext,
  ClusterService,
  Code,
  RpcError,
  type ServiceImpl,
  type TransportMode,
} from '../transport/index.ts';
import type { AddressBook } from './address-book.ts';
import { leaderClient } from './leader-client.ts';
import { checkName } from './names.ts';
import type { RaftDriver } from './raft-driver.ts';
import type { ReadBarrier } from './read-barrier.ts';
import { refusal } from './refusal.ts';

export interface RaftServicesDeps {
  nodeId: string;
  mode: TransportMode;
  driver: RaftDriver;
  state: ClusterState;
  book: AddressBook;
  proposalTimeoutMs: number;
  /** After a learner is added, promote it once it has caught up. */
  promoteWhenCaughtUp: (id: string) => void;
  /**
   * The cluster's join token (`[cluster] join_token_file`): JoinCluster and LeaveCluster over gRPC
   * must carry it. Undefined: gRPC membership changes are open.
   */
  joinToken?: string;
  /** On a node that does not lead: whether a peer is known to answer (its link's health checks). */
  peerReachable?: (id: string) => boolean;
  /** Before every read: a linearizable read point applied here, unless the request asks for LOCAL. */
  read: ReadBarrier;
}

const ROLE: Record<Role, NodeRole> = {
  follower: NodeRole.FOLLOWER,
  'pre-candidate': NodeRole.PRE_CANDIDATE,
  candidate: NodeRole.CANDIDATE,
  leader: NodeRole.LEADER,
};

const MODE: Record<TransportMode, ProtoMode> = {
  grpc: ProtoMode.GRPC,
  iroh: ProtoMode.IROH,
  dual: ProtoMode.DUAL,
};

export function raftServices(d: RaftServicesDeps) {
  const { driver, state, book } = d;

  const members = () => clusterMembers(driver.status(), book, d.nodeId, d.peerReachable);

  const toLeader = <S extends typeof ClusterService | typeof BlixardService>(service: S) =>
    leaderClient(driver, book, service);

  const cluster: Partial<ServiceImpl<typeof ClusterService>> = {
    sendRaftMessage: (req) => {
      const raw = req.message.length > 0 ? [req.message, ...req.messages] : req.messages;
      let decoded: RaftMessage[];
      try {
        decoded = raw.map(decodeMessage);
      } catch (err) {
        throw new RpcError(Code.INVALID_ARGUMENT, `raft message: ${(err as Error).message}`);
      }
      for (const m of decoded) {
        if (m.to !== d.nodeId)
          throw new RpcError(Code.INVALID_ARGUMENT, `raft message for ${m.to} sent to ${d.nodeId}`);
      }
      for (const m of decoded) driver.step(m);
      return { success: true };
    },

    getClusterStatus: async (req, ctx) => {
      await d.read(req.consistency, ctx.signal);
      const s = driver.status();
      return {
        leaderId: s.leader,
        term: BigInt(s.term),
        members: members(),
        commitIndex: BigInt(s.commit),
        appliedIndex: BigInt(state.applied),
        stateDigest: state.digest(),
        nodeId: d.nodeId,
        mode: MODE[d.mode],
      };
    },

    joinCluster: async (req, ctx) => {
      checkJoinToken(d.joinToken, req.joinToken, ctx);
      if (!req.nodeId) throw new RpcError(Code.INVALID_ARGUMENT, 'node_id is required');
      if (!driver.isLeader)
        return toLeader(ClusterService).joinCluster(req, {
          signal: ctx.signal,
          timeoutMs: d.proposalTimeoutMs * 2,
        });
      const conf = driver.status().confState;
      const known = conf.voters.includes(req.nodeId) || conf.learners.includes(req.nodeId);
      await driver.propose(
        {
          type: 'member.join',
          id: req.nodeId,
          ...mergeJoin(state.member(req.nodeId), {
            address: {
              grpc: req.address?.grpc ?? '',
              irohNodeId: req.address?.irohNodeId ?? '',
              irohAddrs: req.address?.irohAddrs ?? [],
            },
            capacity: req.capacity && {
              vcpus: req.capacity.vcpus,
              memoryMb: Number(req.capacity.memoryMb),
              diskGb: Number(req.capacity.diskGb),
            },
          }),
        },
        d.proposalTimeoutMs,
      );
      if (!known) {
        await driver.proposeConfChange({ type: 'add-learner', nodeId: req.nodeId }, d.proposalTimeoutMs);
      }
      if (!conf.voters.includes(req.nodeId)) d.promoteWhenCaughtUp(req.nodeId);
      return {
        success: true,
        message: known ? 'already a member' : 'added as learner',
        members: members(),
        leaderId: d.nodeId,
      };
    },

    leaveCluster: async (req, ctx) => {
      checkJoinToken(d.joinToken, req.joinToken, ctx);
      if (!req.nodeId) throw new RpcError(Code.INVALID_ARGUMENT, 'node_id is required');
      if (!driver.isLeader)
        return toLeader(ClusterService).leaveCluster(req, {
          signal: ctx.signal,
          timeoutMs: d.proposalTimeoutMs * 2,
        });
      const conf = driver.status().confState;
      if (!conf.voters.includes(req.nodeId) && !conf.learners.includes(req.nodeId)) {
        throw new RpcError(Code.NOT_FOUND, `${req.nodeId} is not a member`);
      }
      if (req.nodeId === d.nodeId) {
        // Leave through the next leader, so the removal does not cut the proposer off mid-way.
        if (!(await driver.transferLeadership(undefined, d.proposalTimeoutMs))) {
          throw new RpcError(Code.UNAVAILABLE, 'could not hand over leadership before leaving');
        }
        return toLeader(ClusterService).leaveCluster(req, {
          signal: ctx.signal,
          timeoutMs: d.proposalTimeoutMs * 2,
        });
      }
      await driver.proposeConfChange({ type: 'remove-node', nodeId: req.nodeId }, d.proposalTimeoutMs);
      if (state.member(req.nodeId))
        await driver.propose({ type: 'member.leave', id: req.nodeId }, d.proposalTimeoutMs);
      return { success: true, message: `${req.nodeId} removed` };
    },

    transferLeadership: async (req, ctx) => {
      checkJoinToken(d.joinToken, req.joinToken, ctx);
      if (req.to !== '') checkName('to', req.to);
      if (!driver.isLeader)
        return toLeader(ClusterService).transferLeadership(req, {
          signal: ctx.signal,
          timeoutMs: d.proposalTimeoutMs * 2,
        });
      if (req.to === d.nodeId) return { success: true, message: 'already the leader', leaderId: d.nodeId };
      if (req.to !== '' && !driver.status().confState.voters.includes(req.to))
        throw new RpcError(Code.FAILED_PRECONDITION, `${req.to} is not a voter`);
      if (!(await driver.transferLeadership(req.to || undefined, d.proposalTimeoutMs)))
        throw new RpcError(
          Code.UNAVAILABLE,
          `leadership not handed over within ${d.proposalTimeoutMs} ms (still leading)`,
        );
      return { success: true, message: 'leadership handed over', leaderId: driver.leaderId };
    },
  };

  const blixard: Partial<ServiceImpl<typeof BlixardService>> = {
    getRaftStatus: () => {
      const s = driver.status();
      return {
        nodeId: d.nodeId,
        role: ROLE[s.role],
        term: BigInt(s.term),
        leaderId: s.leader,
        votedFor: s.vote,
        commitIndex: BigInt(s.commit),
        appliedIndex: BigInt(state.applied),
        lastLogIndex: BigInt(s.lastIndex),
        lastLogTerm: BigInt(s.lastTerm),
        snapshotIndex: BigInt(Math.max(0, s.firstIndex - 1)),
        stateDigest: state.digest(),
        members: members(),
        leaderChanges: BigInt(driver.leaderChanges),
        electionsStarted: BigInt(driver.electionsStarted),
      };
    },

    proposeTask: async (req, ctx) => {
      if (req.key === '') {
        if (!req.taskId)
          throw new RpcError(Code.INVALID_ARGUMENT, 'either key (a register op) or task_id is required');
        checkName('task_id', req.taskId);
      }
      if (!driver.isLeader) {
        if (req.hops > 0)
          throw refusal(`not the leader (leader: ${driver.leaderId || 'unknown'}); not forwarded again`);
        return toLeader(BlixardService).proposeTask(
          { ...req, hops: req.hops + 1 },
          { signal: ctx.signal, timeoutMs: d.proposalTimeoutMs * 2 },
        );
      }
      if (req.key !== '') return registerOp(d, req.key, req.op, req.value, req.expected);
      const committed = await driver.propose(
        {
          type: 'task.submit',
          id: req.taskId,
          command: req.spec?.command ?? '',
          args: req.spec?.args ?? [],
          node: d.nodeId,
          submittedAtMs: Date.now(),
        },
        d.proposalTimeoutMs,
      );
      if (!committed.result.ok) throw new RpcError(Code[committed.result.code], committed.result.message);
      return { success: true, message: 'task recorded', index: BigInt(committed.index) };
    },
  };

  return { cluster, blixard };
}

/**
 * The members as every RPC lists them (GetClusterStatus, GetRaftStatus, JoinCluster): role, match
 * index, whether the answering node hears from them, and the address this node would dial.
 * Reachable: on the leader, answered Raft within an election timeout; elsewhere this node itself,
 * its leader, and peers whose health checks pass. A node never heard from is never reachable.
 */
export function clusterMembers(
  status: RaftStatus,
  book: AddressBook,
  selfId: string,
  peerReachable: (id: string) => boolean = () => false,
): ClusterMember[] {
  const voters = new Set(status.confState.voters);
  const ids = [...status.confState.voters, ...status.confState.learners].sort();
  const reachable = (id: string): boolean => {
    if (id === selfId) return true;
    if (status.role === 'leader') return status.reachable[id] ?? false;
    return id === status.leader || peerReachable(id);
  };
  return ids.map((id) => {
    const address = book.target(id);
    const role =
      id === status.leader
        ? NodeRole.LEADER
        : voters.has(id)
          ? id === selfId
            ? ROLE[status.role]
            : NodeRole.FOLLOWER
          : NodeRole.LEARNER;
    return create(ClusterMemberSchema, {
      id,
      role,
      voter: voters.has(id),
      matchIndex: BigInt(status.matchIndex[id] ?? 0),
      reachable: reachable(id),
      address: {
        grpc: address?.grpc ?? '',
        irohNodeId: address?.iroh?.nodeId ?? '',
        irohAddrs: address?.iroh?.addrs ?? [],
      },
    });
  });
}

/**
 * A join of a node already recorded (a re-announcement, or a client's call) updates only what it
 * gives: empty address fields, and an absent capacity, keep what the cluster knows.
 */
function mergeJoin(
  known: MemberRecord | undefined,
  given: { address: MemberRecord['address']; capacity: MemberRecord['capacity'] | undefined },
): Pick<MemberRecord, 'address' | 'capacity'> {
  const a = given.address;
  const capacity = given.capacity ?? known?.capacity ?? { vcpus: 0, memoryMb: 0, diskGb: 0 };
  if (!known) return { address: a, capacity };
  const irohGiven = a.irohNodeId !== '';
  return {
    address: {
      grpc: a.grpc || known.address.grpc,
      irohNodeId: irohGiven ? a.irohNodeId : known.address.irohNodeId,
      irohAddrs: irohGiven || a.irohAddrs.length > 0 ? a.irohAddrs : known.address.irohAddrs,
    },
    capacity,
  };
}

/**
 * Membership changes over gRPC need the cluster's join token when one is configured (Iroh admits
 * only members and admitted clients already). Compared in constant time; never logged or echoed.
 */
function checkJoinToken(expected: string | undefined, given: string, ctx: CallContext): void {
  if (expected === undefined || ctx.transport !== 'grpc') return;
  const digest = (t: string) => createHash('sha256').update(t, 'utf8').digest();
  if (given === '' || !timingSafeEqual(digest(expected), digest(given))) {
    throw new RpcError(
      Code.PERMISSION_DENIED,
      `membership changes over gRPC need the cluster's join token (${given === '' ? 'none given' : 'wrong token'})`,
    );
  }
}

async function registerOp(d: RaftServicesDeps, key: string, op: RegisterOp, value: string, expected: string) {
  if (op === RegisterOp.READ) {
    const index = await d.read();
    const current = d.state.register(key);
    return { success: true, index: BigInt(index), value: current ?? '', found: current !== undefined };
  }
  const cmd =
    op === RegisterOp.WRITE
      ? ({ type: 'register.write', key, value } as const)
      : op === RegisterOp.CAS
        ? ({ type: 'register.cas', key, expected, value } as const)
        : undefined;
  if (cmd === undefined)
    throw new RpcError(Code.INVALID_ARGUMENT, `register op ${op} is not WRITE, READ or CAS`);
  const committed = await d.driver.propose(cmd, d.proposalTimeoutMs);
  if (!committed.result.ok) throw new RpcError(Code[committed.result.code], committed.result.message);
  return { success: true, index: BigInt(committed.index), value: committed.result.value ?? '', found: true };
}
