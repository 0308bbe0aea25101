import { describe, expect, it } from 'vitest';
import { MIGRATION_THRESHOLDS, raftRuleHolds } from '../index.ts';

describe('migration thresholds', () => {
  it('holds the decision rule of DESIGN.md: p99 under 10 ms and stability above 99.9 %', () => {
    expect(MIGRATION_THRESHOLDS.raftMessageP99Ms).toBe(10);
    expect(MIGRATION_THRESHOLDS.electionStability).toBe(0.999);
    expect(Object.isFrozen(MIGRATION_THRESHOLDS)).toBe(true);
  });

  it('applies the rule with strict inequalities on both inputs', () => {
    expect(raftRuleHolds(9.99, 0.9995)).toBe(true);
    expect(raftRuleHolds(10, 0.9995)).toBe(false);
    expect(raftRuleHolds(2, 0.999)).toBe(false);
    expect(raftRuleHolds(Number.NaN, 1)).toBe(false);
  });
});
