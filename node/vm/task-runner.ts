/**
 * Runs the tasks the cluster assigned to this node: an allowlisted command,
 * started without a shell, with a timeout and a bounded output. It reports
 * RUNNING, then the outcome, through Raft. A task found RUNNING that this
 * process did not start was cut by a restart of the node: it fails, rather
 * than run twice.
 */

import { execFile } from 'node:child_process';
import { within } from '../lib/index.ts';
import type { Logger } from '../log.ts';
import type { ClusterState, TaskRecord } from '../state/index.ts';

export interface TaskReport {
  id: string;
  state: TaskRecord['state'];
  output: string;
  error: string;
  exitCode: number;
  atMs: number;
}

export interface TaskRunnerOptions {
  nodeId: string;
  state: ClusterState;
  allowlist: readonly string[];
  outputLimitBytes: number;
  defaultTimeoutSecs: number;
  report: (r: TaskReport) => Promise<number>;
  waitApplied: (index: number) => Promise<void>;
  caughtUp: () => boolean;
  /** Resolves once this node has applied everything the leader had committed when asked (ReadIndex). */
  confirm: () => Promise<void>;
  log: Logger;
}

export class TaskRunner {
  private readonly o: TaskRunnerOptions;
  /** Tasks this process has taken on and not yet seen finished in the state. */
  private readonly mine = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private confirming = false;

  constructor(o: TaskRunnerOptions) {
    this.o = o;
  }

  /**
   * Looks for work; called after applied entries and on the reconcile timer.
   * New work waits for a ReadIndex round first: an old local state (after a
   * restart) may still show PENDING a task this node already ran.
   */
  poll(): void {
    if (this.stopped || this.confirming || !this.o.caughtUp()) return;
    for (const task of this.o.state.tasks())
      if (task.node === this.o.nodeId && (task.state === 'succeeded' || task.state === 'failed'))
        this.mine.delete(task.id);
    if (this.candidates().length === 0) return;
    this.confirming = true;
    const job = this.o
      .confirm()
      .then(() => {
        for (const task of this.candidates()) this.take(task);
      })
      .catch((err: unknown) =>
        this.o.log.debug('state not confirmed; no task started', { error: String(err) }),
      )
      .finally(() => {
        this.confirming = false;
        this.inFlight.delete(job);
      });
    this.inFlight.add(job);
  }

  private candidates(): TaskRecord[] {
    return this.o.state
      .tasks()
      .filter(
        (t) =>
          t.node === this.o.nodeId &&
          (t.state === 'pending' || t.state === 'running') &&
          !this.mine.has(t.id),
      );
  }

  private take(task: TaskRecord): void {
    if (this.stopped || this.mine.has(task.id)) return;
    this.mine.add(task.id);
    const job = (task.state === 'pending' ? this.run(task) : this.interrupted(task))
      .catch((err: unknown) => {
        // Left in `mine` only on success: a failed report is retried by a later poll.
        this.mine.delete(task.id);
        this.o.log.warn('task report failed', { task: task.id, error: String(err) });
      })
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async interrupted(task: TaskRecord): Promise<void> {
    await this.send({
      id: task.id,
      state: 'failed',
      output: task.output,
      error: 'interrupted: the node restarted while the task ran',
      exitCode: -1,
      atMs: Date.now(),
    });
  }

  private async run(task: TaskRecord): Promise<void> {
    if (!this.o.allowlist.includes(task.command)) {
      await this.send({
        id: task.id,
        state: 'failed',
        output: '',
        error: `command '${task.command}' is not on ${this.o.nodeId}'s task allowlist`,
        exitCode: 126,
        atMs: Date.now(),
      });
      return;
    }
    await this.send({ id: task.id, state: 'running', output: '', error: '', exitCode: 0, atMs: Date.now() });
    this.o.log.info('task started', { task: task.id, command: task.command });
    const outcome = await this.exec(
      task.command,
      task.args,
      (task.timeoutSecs || this.o.defaultTimeoutSecs) * 1000,
    );
    this.o.log.info('task finished', { task: task.id, exit: outcome.exitCode });
    await this.send({ id: task.id, ...outcome, atMs: Date.now() });
  }

  private exec(
    command: string,
    args: string[],
    timeoutMs: number,
  ): Promise<Pick<TaskReport, 'state' | 'output' | 'error' | 'exitCode'>> {
    const limit = this.o.outputLimitBytes;
    return new Promise((resolve) => {
      execFile(
        command,
        args,
        { timeout: timeoutMs, maxBuffer: Math.max(limit, 1024) * 4, shell: false },
        (err, stdout, stderr) => {
          const output = stdout.slice(0, limit);
          if (!err) {
            resolve({ state: 'succeeded', output, error: stderr.slice(0, limit), exitCode: 0 });
            return;
          }
          const e = err as NodeJS.ErrnoException & {
            code?: number | string;
            killed?: boolean;
            signal?: string;
          };
          const exitCode = typeof e.code === 'number' ? e.code : e.code === 'ENOENT' ? 127 : -1;
          const why = e.killed
            ? `timed out after ${timeoutMs} ms`
            : e.signal
              ? `killed by ${e.signal}`
              : e.message;
          resolve({ state: 'failed', output, error: `${why}\n${stderr}`.slice(0, limit), exitCode });
        },
      );
    });
  }

  private async send(r: TaskReport): Promise<void> {
    const index = await this.o.report(r);
    // Bounded: a report that is never applied here (leadership lost) must not stall the loop.
    await within(this.o.waitApplied(index), 5000, undefined);
  }
}
