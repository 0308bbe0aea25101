/**
 * A task workload: clients submit tasks with ids of their own (`echo <id>`: the output names the
 * task, so a task run twice or a result reported for another shows) and read back the status of
 * tasks they submitted. The history holds every submission's outcome and every status read (state,
 * node, output, exit code) for the task checkers: a task runs at most once, its result is the one
 * reported.
 */

import { TaskState } from '../../node/gen/blixard_pb.js';
import { pick, type Random } from '../../node/lib/index.ts';
import type { PlannedOp, WorkloadClient, WorkloadSpec } from './runner.ts';

/** The command every workload task runs (on the node's default allowlist). */
export const TASK_COMMAND = 'echo';

export interface TaskPlan {
  f: 'task-submit' | 'task-status';
  key: string;
}

/** The pure part: submit a new task, or read back one this client submitted. */
export class TaskPlanner {
  readonly #random: Random;
  readonly #prefix: string;
  readonly #client: number;
  readonly #submitted: string[] = [];
  readonly #maxTasks: number;
  #seq = 0;

  constructor(o: { client: number; random: Random; prefix: string; maxTasks: number }) {
    this.#random = o.random;
    this.#prefix = o.prefix;
    this.#client = o.client;
    this.#maxTasks = o.maxTasks;
  }

  next(): TaskPlan {
    const canSubmit = this.#seq < this.#maxTasks;
    if (this.#submitted.length > 0 && (!canSubmit || this.#random() < 0.6))
      return { f: 'task-status', key: pick(this.#random, this.#submitted) };
    if (!canSubmit) return { f: 'task-status', key: `${this.#prefix}${this.#client}-0` };
    return { f: 'task-submit', key: `${this.#prefix}${this.#client}-${this.#seq++}` };
  }

  /** A submission that may have applied (ok or unknown) is worth reading back. */
  submitted(id: string): void {
    this.#submitted.push(id);
  }
}

export function taskStateName(s: TaskState): string {
  return (TaskState[s] ?? String(s)).toLowerCase();
}

export function taskSpec(o: { clients: number; prefix: string; maxTasks?: number }): WorkloadSpec {
  return {
    name: 'task',
    clients: o.clients,
    make: (index, random): WorkloadClient => {
      const planner = new TaskPlanner({
        client: index,
        random,
        prefix: `${o.prefix}.t`,
        maxTasks: o.maxTasks ?? 200,
      });
      return { next: () => taskOp(planner.next(), planner) };
    },
  };
}

function taskOp(p: TaskPlan, planner: TaskPlanner): PlannedOp {
  const id = p.key;
  if (p.f === 'task-submit') {
    return {
      f: 'task-submit',
      key: id,
      value: id,
      readOnly: false,
      call: async (s, opts) => {
        const r = await s.cluster.submitTask(
          { taskId: id, spec: { command: TASK_COMMAND, args: [id] } },
          opts,
        );
        return { result: { accepted: r.accepted, node: r.assignedNode, message: r.message } };
      },
      done: (type) => {
        if (type !== 'fail') planner.submitted(id);
      },
    };
  }
  return {
    f: 'task-status',
    key: id,
    readOnly: true,
    call: async (s, opts) => {
      const r = await s.cluster.getTaskStatus({ taskId: id }, opts);
      return {
        result: r.found
          ? {
              found: true,
              state: taskStateName(r.state),
              node: r.assignedNode,
              output: r.output,
              error: r.error,
              exitCode: r.exitCode,
              startedAtMs: Number(r.startedAtMs),
              finishedAtMs: Number(r.finishedAtMs),
            }
          : { found: false },
      };
    },
  };
}
