/**
 * A run's rollouts judged from its events: each rollout op must end as its incident expects — every
 * step in place, or rolled back by a gate (to the step named) — and a rollback names its reasons. A
 * rollout that failed (a node that did not come back) or could not start is a failure.
 */
import type { CheckerResult, RunEventLike } from '../../scenarios/checkers/index.ts';

interface RolloutOpLike {
  do?: string;
  file?: string;
  expect?: string;
  back_to?: string;
}

export function checkRollouts(events: readonly RunEventLike[]): CheckerResult[] {
  const out: CheckerResult[] = [];
  for (const e of events) {
    const op = e.op as RolloutOpLike | undefined;
    if (op?.do !== 'rollout') continue;
    const name = `rollout ${op.file}: ${op.expect}${op.back_to ? ` to ${op.back_to}` : ''}`;
    const d = (e.detail ?? {}) as {
      outcome?: string;
      at?: string;
      passed?: string[];
      rolledBack?: { from: string; to: string; reasons: string[] };
      error?: string;
    };
    if (e.kind === 'nemesis-error') {
      out.push({ name, valid: false, explanation: `the rollout did not run: ${d.error}`, evidence: d });
      continue;
    }
    if (e.kind !== 'rollout') continue;
    const rb = d.rolledBack;
    const how =
      d.outcome === 'completed'
        ? `completed: ${d.passed?.join(' → ')}`
        : `${d.outcome}: ${rb?.from} rolled back to ${rb?.to} (${rb?.reasons.join('; ')})`;
    let valid = d.outcome === op.expect;
    if (valid && op.expect === 'rolled-back' && op.back_to !== undefined) valid = rb?.to === op.back_to;
    out.push({
      name,
      valid,
      explanation: valid ? how : `expected ${op.expect}${op.back_to ? ` to ${op.back_to}` : ''}, got ${how}`,
      evidence: d,
    });
  }
  return out;
}
