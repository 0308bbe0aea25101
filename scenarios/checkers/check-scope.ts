/**
 * Which checkers decide a run's verdict, when an incident names them (`checks:`). A field incident
 * asks one question (does a follower's restart disturb the leader?); the run still runs every checker,
 * and what the others find is kept beside the verdict as advisory, never dropped.
 */
import type { CheckerResult } from './verdict.ts';

/**
 * The checker families an incident may name, each with the start of its checkers' names. A full
 * checker name (as in verdict.json) may be given too.
 */
export const CHECK_FAMILIES: Readonly<Record<string, string>> = {
  registers: 'registers:',
  sets: 'sets:',
  vms: 'vms:',
  tasks: 'tasks:',
  images: 'images:',
  'service levels': 'service levels',
  raft: 'raft',
  leadership: 'leadership:',
  vm: 'vm:',
  availability: 'availability',
  rollouts: 'rollout',
};

/** Whether `entry` (a family or a full checker name) covers the checker called `name`. */
export function covers(entry: string, name: string): boolean {
  const start = CHECK_FAMILIES[entry];
  return start !== undefined ? name.startsWith(start) : name === entry;
}

/**
 * An entry of `checks:` that can name no checker: neither a family nor the shape of a checker's
 * name (`family: rule`). The message says what may be given.
 */
export function badCheckEntry(entry: string): string | undefined {
  if (CHECK_FAMILIES[entry] !== undefined) return undefined;
  if (Object.values(CHECK_FAMILIES).some((start) => entry.startsWith(start) && entry.length > start.length))
    return undefined;
  return `'${entry}' is no checker family (${Object.keys(CHECK_FAMILIES).join(', ')}) and no checker's name`;
}

/**
 * The results with those outside `checks` marked advisory. An entry that covers none of this run's
 * checkers adds an 'unknown' result: a misspelt or inapplicable name never lets a run pass unjudged.
 */
export function scopeResults(results: readonly CheckerResult[], checks: readonly string[]): CheckerResult[] {
  const scoped = results.map((r) =>
    checks.some((c) => covers(c, r.name)) ? r : { ...r, advisory: true as const },
  );
  for (const c of checks)
    if (!results.some((r) => covers(c, r.name)))
      scoped.push({
        name: `checks: ${c}`,
        valid: 'unknown',
        explanation: `the incident's checks name '${c}', and no such checker ran in this run (ran: ${results.map((r) => r.name).join('; ')})`,
        evidence: [],
      });
  return scoped;
}
