/** Test helper: each hand-written bad history makes the checker answer false, naming why, with evidence. */
import { expect } from 'vitest';
import type { OpRecord } from './history.ts';
import type { CheckResult } from './raft-safety.ts';

export function expectEachFails(
  check: (h: OpRecord[]) => CheckResult,
  cases: readonly [OpRecord[], RegExp][],
): void {
  for (const [h, why] of cases) {
    const r = check(h);
    expect(r.valid, String(why)).toBe(false);
    expect(r.explanation).toMatch(why);
    expect(r.evidence).not.toEqual([]);
  }
}
