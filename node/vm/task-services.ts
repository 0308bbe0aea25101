/**
 * The task RPCs: SubmitTask places a task on a node with room for its
 * requirements and records it through Raft; that node's TaskRunner runs it
 * and reports (ReportTaskResult); GetTaskStatus reads the record, after the
 * node's read barrier (linearizable unless the request asks for LOCAL).
 */
import { randomUUID } from 'node:crypto';
import type { AddressBook, RaftDriver, ReadBarrier } from '../cluster/index.ts';
import { checkName, leaderClient } from '../cluster/index.ts';
import type { ClusterState } from '../state/index.ts';
import {
  BlixardService,
  type CallContext,
  ClusterService,
  Code,
  RpcError,
  type ServiceImpl,
} from '../transport/index.ts';
import { taskStateFromProto, taskStateToProto } from './proto-map.ts';
import { roomsOf } from './rooms.ts';
import { placeVm } from './scheduler.ts';
import type { TaskReport } from './task-runner.ts';

export interface TaskServicesDeps {
  nodeId: string;
  driver: RaftDriver;
  state: ClusterState;
  book: AddressBook;
  proposalTimeoutMs: number;
  allowlist: readonly string[];
  /** Before every read: a linearizable read point applied here, unless the request asks for LOCAL. */
  read: ReadBarrier;
}

export function taskServices(d: TaskServicesDeps) {
  const { driver, state } = d;
  const forwardOpts = (ctx: CallContext) => ({ signal: ctx.signal, timeoutMs: d.proposalTimeoutMs * 2 });
  const cluster = () => leaderClient(driver, d.book, ClusterService);

  const impl: Partial<ServiceImpl<typeof ClusterService>> = {
    submitTask: async (req, ctx) => {
      // Optional: a task without an id is given a fresh one.
      if (req.taskId !== '') checkName('task_id', req.taskId);
      const spec = req.spec;
      if (!spec?.command) throw new RpcError(Code.INVALID_ARGUMENT, 'spec.command is required');
      if (!d.allowlist.includes(spec.command))
        throw new RpcError(Code.PERMISSION_DENIED, `command '${spec.command}' is not on the task allowlist`);
      if (!driver.isLeader) return cluster().submitTask(req, forwardOpts(ctx));
      const id = req.taskId || randomUUID();
      if (state.task(id)) throw new RpcError(Code.ALREADY_EXISTS, `task '${id}' already exists`);
      const need = {
        vcpus: spec.requirements?.vcpus ?? 0,
        memoryMb: Number(spec.requirements?.memoryMb ?? 0n),
        antiAffinityGroup: '',
      };
      const p = placeVm(roomsOf(driver, state, d.nodeId), need, 'most-available');
      if (!p.ok) throw new RpcError(Code.RESOURCE_EXHAUSTED, p.reason);
      const committed = await driver.propose(
        {
          type: 'task.submit',
          id,
          command: spec.command,
          args: spec.args,
          node: p.node,
          submittedAtMs: Date.now(),
          timeoutSecs: spec.timeoutSecs,
        },
        d.proposalTimeoutMs,
      );
      if (!committed.result.ok) throw new RpcError(Code[committed.result.code], committed.result.message);
      return { accepted: true, message: `task '${id}' placed on ${p.node}`, assignedNode: p.node };
    },

    getTaskStatus: async (req, ctx) => {
      checkName('task_id', req.taskId);
      await d.read(req.consistency, ctx.signal);
      const t = state.task(req.taskId);
      if (!t) return { found: false };
      return {
        found: true,
        state: taskStateToProto(t.state),
        output: t.output,
        error: t.error,
        exitCode: t.exitCode,
        assignedNode: t.node,
        startedAtMs: BigInt(t.startedAtMs ?? 0),
        finishedAtMs: BigInt(t.finishedAtMs),
      };
    },
  };

  async function applyTaskReport(r: TaskReport): Promise<{ index: number; ok: boolean; message: string }> {
    return driver.proposeReport(
      {
        type: 'task.result',
        id: r.id,
        state: r.state,
        output: r.output,
        error: r.error,
        exitCode: r.exitCode,
        atMs: r.atMs,
      },
      d.proposalTimeoutMs,
    );
  }

  const blixard: Partial<ServiceImpl<typeof BlixardService>> = {
    reportTaskResult: async (req, ctx) => {
      checkName('task_id', req.taskId);
      const state = taskStateFromProto(req.state);
      if (!state) throw new RpcError(Code.INVALID_ARGUMENT, 'unknown task state');
      if (!driver.isLeader)
        return leaderClient(driver, d.book, BlixardService).reportTaskResult(req, forwardOpts(ctx));
      const r = await applyTaskReport({
        id: req.taskId,
        state,
        output: req.output,
        error: req.error,
        exitCode: req.exitCode,
        atMs: Number(req.atMs),
      });
      return { success: r.ok, message: r.message, index: BigInt(r.index) };
    },
  };

  /** How this node's task runner reports: directly when leading, else to the leader. */
  const reporter = async (r: TaskReport): Promise<number> => {
    if (driver.isLeader) return (await applyTaskReport(r)).index;
    const reply = await leaderClient(driver, d.book, BlixardService).reportTaskResult(
      {
        taskId: r.id,
        state: taskStateToProto(r.state),
        output: r.output,
        error: r.error,
        exitCode: r.exitCode,
        atMs: BigInt(Math.floor(r.atMs)),
        reporter: d.nodeId,
      },
      { timeoutMs: d.proposalTimeoutMs * 2 },
    );
    return Number(reply.index);
  };

  return { cluster: impl, blixard, reporter };
}
