/**
 * Availability against a budget: the share of the register clients' completed ops that succeeded
 * (a failure and an op of unknown outcome both count against it). Registers only: the VM workload's
 * refusals (a start of a running VM, a delete of one not stopped) are answers, not unavailability.
 */
import type { OpRecord } from './history.ts';
import type { CheckerResult } from './verdict.ts';

export function checkAvailability(history: readonly OpRecord[], budget: number): CheckerResult {
  const done = history.filter(
    (e) => e.type !== 'invoke' && ((e as { workload?: string }).workload ?? 'register') === 'register',
  );
  const ok = done.filter((e) => e.type === 'ok').length;
  const name = `availability: at least ${(budget * 100).toFixed(1)} % of register ops succeed`;
  if (done.length === 0)
    return {
      name,
      valid: 'unknown',
      explanation: 'no register op completed',
      evidence: { ok, completed: 0 },
    };
  const share = ok / done.length;
  const byError = new Map<string, number>();
  for (const e of done)
    if (e.type !== 'ok') {
      const code = (e.error ?? e.type).split(':')[0] as string;
      byError.set(code, (byError.get(code) ?? 0) + 1);
    }
  return {
    name,
    valid: share >= budget,
    explanation: `${ok} of ${done.length} register ops succeeded (${(share * 100).toFixed(1)} %)`,
    evidence: { ok, completed: done.length, share, budget, notOk: Object.fromEntries(byError) },
  };
}
