import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MIGRATION_THRESHOLDS, RULES_FILE, renderRules } from '../index.ts';

describe('prometheus/rules.yml', () => {
  it('is what rules.ts renders from the thresholds (node dashboards/prometheus/write-rules.ts writes it)', async () => {
    expect(await readFile(RULES_FILE, 'utf8')).toBe(renderRules());
  });

  it('carries each threshold into its alert', () => {
    const t = {
      ...MIGRATION_THRESHOLDS,
      raftMessageP99Ms: 25,
      irohErrorRatio: 0.05,
      leaderChanges: 4,
      holdSeconds: 90,
    };
    const alerts = Object.fromEntries(
      (
        parse(renderRules(t)) as { groups: { rules: { alert?: string; expr: string; for?: string }[] }[] }
      ).groups
        .flatMap((g) => g.rules)
        .filter((r) => r.alert)
        .map((r) => [r.alert, r]),
    );
    expect(alerts.RaftMessageP99Over10ms?.expr).toBe('blixard:raft_message_p99_seconds:by_transport > 0.025');
    expect(alerts.RaftMessageP99Over10ms?.for).toBe('90s');
    expect(alerts.IrohErrorRatioHigh?.expr).toBe('blixard:iroh_error_ratio > 0.05');
    expect(alerts.RaftLeaderChurn?.expr).toBe('max(changes(blixard_raft_leader_changes[5m])) > 4');
  });
});
