/** The lab Prometheus' rules and the migration thresholds they and the rollout gates share. */
export { MIGRATION_THRESHOLDS, type MigrationThresholds, raftRuleHolds } from './thresholds.ts';
