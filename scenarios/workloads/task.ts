/**
 * A task workload: clients submit tasks with ids of their own (`echo <id>`: the output names the
 * task, so a task run twice or a result reported for another shows) and read back the status of
 * tasks they submitted. The history holds every submission's outcome and every status read (state,
 * node, output, exit code) for the task checkers: a task runs at most once, its result is the one
 * reported.
 */

import { TaskState } from '../../node/gen/blixard_pb.js';
import { pick, type Random } from '../../node/lib/index.ts';
import { type PlannedOp, plannedSpec, type WorkloadSpec } from './runner.ts';

/** The command every workload task runs (on the node's default allowlist). */
export const TASK_COMMAND = 'echo';

export interface TaskPlan {
  f: 'task-submit' | 'task-status';
  key: string;
}

/** The pure part: submit a new task, or read back one this client submitted. */
export class TaskPlanner {
  /** The client's options: its index, its seeded stream and its share of the workload. */
  readonly #o: { client: number; random: Random; prefix: string; maxTasks: number };
  readonly #submitted: string[] = [];
  #seq = 0;

  constructor(o: { client: number; random: Random; prefix: string; maxTasks: number }) {
    this.#o = o;
  }

  next(): TaskPlan {
    const canSubmit = this.#seq < this.#o.maxTasks;
    if (this.#submitted.length > 0 && (!canSubmit || this.#o.random() < 0.6))
      return { f: 'task-status', key: pick(this.#o.random, this.#submitted) };
    if (!canSubmit) return { f: 'task-status', key: `${this.#o.prefix}${this.#o.client}-0` };
    return { f: 'task-submit', key: `${this.#o.prefix}${this.#o.client}-${this.#seq++}` };
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
  return plannedSpec(
    'task',
    o.clients,
    (client, random) =>
      new TaskPlanner({ client, random, prefix: `${o.prefix}.t`, maxTasks: o.maxTasks ?? 200 }),
    taskOp,
  );
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
