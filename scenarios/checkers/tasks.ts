/**
 * Tasks run at most once, and the result reported is the one that ran: a pure judge of the task
 * workload's history (`task-submit`, `task-status`; scenarios/workloads/task.ts). Every task runs
 * `echo <its id>`, so its output names it. Status reads are linearizable (GetTaskStatus reads after
 * the node's read barrier), so a read that starts after another ended sees the record at least as
 * new. Per task id:
 *
 * - a submission that certainly failed (`fail`) is never found afterwards (it did not happen);
 * - once found, the task is found by every later read (an acknowledged task is not lost), and an
 *   acknowledged submission is found by every read that starts after it;
 * - one node for the task in every read (placed once);
 * - its state never goes back (pending → running → succeeded | failed), and once it has started,
 *   its start time never changes (a second start is a second run);
 * - once finished, every later read reports the same result (state, output, exit code, times);
 * - a task that succeeded printed exactly its own id (the output of this task, not another's).
 *
 * What it cannot see: a second run whose report lost the race to the first (the record keeps one
 * result); a run between two reads that changed nothing they show; the task's process itself (an
 * `echo` lives milliseconds, far below the samplers' 500 ms, so the samples hold no task evidence).
 */
import type { OpRecord } from './history.ts';
import { pairOps } from './history.ts';
import type { CheckResult } from './raft-safety.ts';

interface TaskStatus {
  found: boolean;
  state?: string;
  node?: string;
  output?: string;
  exitCode?: number;
  startedAtMs?: number;
  finishedAtMs?: number;
}

interface Read {
  id: number;
  invoke: number;
  done: number;
  node: string | undefined;
  status: TaskStatus;
}

const RANK: Record<string, number> = { pending: 0, running: 1, succeeded: 2, failed: 2 };
const FINISHED = new Set(['succeeded', 'failed']);
const NAME = 'tasks: each runs at most once, its reported result is the one that ran';

function statusOf(r: OpRecord): TaskStatus | undefined {
  const v = r.result ?? (typeof r.value === 'string' ? safeJson(r.value) : undefined);
  if (v === null || typeof v !== 'object' || typeof (v as { found?: unknown }).found !== 'boolean')
    return undefined;
  return v as TaskStatus;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** What a reader of the record would call the task's result. */
function resultOf(s: TaskStatus) {
  return {
    state: s.state,
    output: s.output,
    exitCode: s.exitCode,
    startedAtMs: s.startedAtMs,
    finishedAtMs: s.finishedAtMs,
  };
}

export function checkTasks(history: readonly OpRecord[]): CheckResult {
  const pairs = pairOps(history.filter((h) => h.f === 'task-submit' || h.f === 'task-status'));
  const submits = new Map<string, { type: string; invoke: number; done: number }[]>();
  const reads = new Map<string, Read[]>();
  for (const { invoke, done } of pairs) {
    if (invoke.f === 'task-submit') {
      const list = submits.get(invoke.key) ?? [];
      list.push({
        type: done?.type ?? 'info',
        invoke: invoke.time,
        done: done?.time ?? Number.POSITIVE_INFINITY,
      });
      submits.set(invoke.key, list);
      continue;
    }
    if (done?.type !== 'ok') continue;
    const status = statusOf(done);
    if (!status) continue;
    const list = reads.get(invoke.key) ?? [];
    list.push({
      id: invoke.id,
      invoke: invoke.time,
      done: done.time,
      node: (done as { node?: string }).node,
      status,
    });
    reads.set(invoke.key, list);
  }
  let checked = 0;
  for (const [task, list] of reads) {
    list.sort((a, b) => a.invoke - b.invoke);
    const found = list.filter((r) => r.status.found);
    const subs = submits.get(task) ?? [];
    const bad = (explanation: string, evidence: unknown[]): CheckResult => ({
      name: NAME,
      valid: false,
      explanation: `task '${task}': ${explanation}`,
      evidence: [{ task, submits: subs }, ...evidence],
    });
    // Only a submission that may have happened can make the task exist.
    if (found.length > 0 && subs.length > 0 && subs.every((s) => s.type === 'fail'))
      return bad('found, though its only submission certainly failed', [found[0]]);
    for (const r of list) {
      if (r.status.found) continue;
      const acked = subs.find((s) => s.type === 'ok' && s.done < r.invoke);
      if (acked) return bad('acknowledged, then not found by a later read', [r]);
      const earlier = found.find((f) => f.done < r.invoke);
      if (earlier) return bad('found, then not found by a later read', [earlier, r]);
    }
    const nodes = new Set(found.map((r) => r.status.node));
    if (nodes.size > 1)
      return bad(
        `placed on ${[...nodes].join(' and ')}`,
        found.filter((r, i) => found.findIndex((x) => x.status.node === r.status.node) === i),
      );
    for (const r of found) {
      if (r.status.state === 'succeeded' && (r.status.output !== `${task}\n` || r.status.exitCode !== 0))
        return bad(
          `succeeded with output ${JSON.stringify(r.status.output)} (exit ${r.status.exitCode}), not its own id`,
          [r],
        );
    }
    // Pairs in real-time order: a read that started after another ended.
    for (const a of found) {
      for (const b of found) {
        if (b.invoke <= a.done) continue;
        const ra = RANK[a.status.state ?? ''] ?? -1;
        const rb = RANK[b.status.state ?? ''] ?? -1;
        if (rb < ra) return bad(`went back from ${a.status.state} to ${b.status.state}`, [a, b]);
        const sa = a.status.startedAtMs ?? 0;
        const sb = b.status.startedAtMs ?? 0;
        if (sa > 0 && sb !== sa)
          return bad(`started at ${sa}, then reported as started at ${sb}: run again`, [a, b]);
        if (
          FINISHED.has(a.status.state ?? '') &&
          JSON.stringify(resultOf(a.status)) !== JSON.stringify(resultOf(b.status))
        )
          return bad('finished, then a later read reported another result', [a, b]);
      }
    }
    checked++;
  }
  if (checked === 0)
    return { name: NAME, valid: 'unknown', explanation: 'no task was read back', evidence: [] };
  const finished = [...reads.values()].filter((l) =>
    l.some((r) => FINISHED.has(r.status.state ?? '')),
  ).length;
  return {
    name: NAME,
    valid: true,
    explanation: `${checked} tasks read back (${finished} finished): each placed once, started once, its result unchanged and its own`,
    evidence: [],
  };
}
