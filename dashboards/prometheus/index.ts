/** The lab Prometheus' rules, rendered from the migration thresholds they share with rollout gates and run verdicts. */
export { ALERTS, RECORDED, type Rule, type RuleGroup, renderRules, ruleGroups } from './rules.ts';
export { MIGRATION_THRESHOLDS, type MigrationThresholds, raftRuleHolds } from './thresholds.ts';
