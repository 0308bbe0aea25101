/**
 * The consensus-facing RPCs: SendRaftMessage, GetRaftStatus, GetClusterStatus,
 * JoinCluster, LeaveCluster and ProposeTask. Writes go to the leader: a
 * follower forwards them (once), and a node without a leader — or without a
 * quorum — answers UNAVAILABLE, never a stale success. GetClusterStatus and
 * register reads pass the node's read barrier first; GetRaftStatus is this
 * node's own Raft view and answers at once.
 */

import { NodeRole, TransportMode as ProtoMode, RegisterOp } from '../gen/blixard_pb.js';
import { decodeMessage, type RaftMessage, type Role } from '../raft/index.ts';
import type { ClusterState } from '../state/index.ts';
import {
  BlixardService,
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

export interface RaftServicesDeps {
  nodeId: string;
  mode: TransportMode;
  driver: RaftDriver;
  state: ClusterState;
  book: AddressBook;
  proposalTimeoutMs: number;
  /** After a learner is added, promote it once it has caught up. */
  promoteWhenCaughtUp: (id: string) => void;
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

  const members = () => {
    const status = driver.status();
    const voters = new Set(status.confState.voters);
    const ids = [...status.confState.voters, ...status.confState.learners].sort();
    return ids.map((id) => {
      const address = book.target(id);
      const role =
        id === status.leader
          ? NodeRole.LEADER
          : voters.has(id)
            ? id === d.nodeId
              ? ROLE[status.role]
              : NodeRole.FOLLOWER
            : NodeRole.LEARNER;
      return {
        id,
        role,
        voter: voters.has(id),
        matchIndex: BigInt(status.matchIndex[id] ?? 0),
        reachable: true,
        address: {
          grpc: address?.grpc ?? '',
          irohNodeId: address?.iroh?.nodeId ?? '',
          irohAddrs: address?.iroh?.addrs ?? [],
        },
      };
    });
  };

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
          address: {
            grpc: req.address?.grpc ?? '',
            irohNodeId: req.address?.irohNodeId ?? '',
            irohAddrs: req.address?.irohAddrs ?? [],
          },
          capacity: {
            vcpus: req.capacity?.vcpus ?? 0,
            memoryMb: Number(req.capacity?.memoryMb ?? 0n),
            diskGb: Number(req.capacity?.diskGb ?? 0n),
          },
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
        lastLogTerm: BigInt(0),
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
          throw new RpcError(Code.UNAVAILABLE, `not the leader (leader: ${driver.leaderId || 'unknown'})`);
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
