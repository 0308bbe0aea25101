/** Observability of the lab: Grafana dashboards and provisioning, Prometheus configuration and rules. */
export {
  DASHBOARDS_DIR,
  DATASOURCE_UID,
  dashboardFiles,
  type PanelQueries,
  PROVISIONING_DIR,
  panelQueries,
  RULES_FILE,
} from './dashboard-files.ts';
export {
  ALERTS,
  MIGRATION_THRESHOLDS,
  type MigrationThresholds,
  RECORDED,
  type Rule,
  type RuleGroup,
  raftRuleHolds,
  renderRules,
  ruleGroups,
} from './prometheus/index.ts';
export { type PrometheusConfigInput, prometheusConfig, type ScrapeTarget } from './prometheus-config.ts';
