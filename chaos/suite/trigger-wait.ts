/**
 * A scheduled op's trigger, waited for on the run's clock: polls the watch until the trigger fires
 * or its bound passes. The op then runs either way (a fault aimed late is still a fault), with what
 * was seen in its record; a vote trigger names the voter as the op's node.
 */
import { sleep } from '../../node/lib/index.ts';
import type { NemesisOp, ScheduledOp, TriggerWatch } from '../nemesis/index.ts';

export interface TriggerOutcome {
  on: string;
  met: boolean;
  seen: string;
  waitedMs: number;
}

/** How often the watch is looked at: well under a write's latency, cheap beside the workload. */
const POLL_MS = 20;

/**
 * `scheduledAt` is the step's time on the run's clock: what happened since then counts (a vote cast
 * while the op before was still being applied), and the bound runs from when the wait starts.
 */
export async function awaitTrigger(
  watch: TriggerWatch,
  step: ScheduledOp,
  now: () => number,
  scheduledAt: number,
): Promise<{ op: NemesisOp; when?: TriggerOutcome }> {
  const trigger = step.when;
  if (!trigger) return { op: step.op };
  const started = now();
  const since = Math.min(scheduledAt, started);
  for (;;) {
    const check = watch.check(trigger, since);
    const waitedMs = Math.round(now() - started);
    if (check.met || waitedMs >= trigger.within) {
      const op = check.node !== undefined && 'node' in step.op ? { ...step.op, node: check.node } : step.op;
      return { op, when: { on: trigger.on, met: check.met, seen: check.seen, waitedMs } };
    }
    await sleep(POLL_MS);
  }
}
