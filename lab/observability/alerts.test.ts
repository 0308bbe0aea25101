/**
 * The rollout alerts under `promtool test rules` (the lab's Prometheus image): series made to sit on
 * either side of each threshold of dashboards/prometheus/thresholds.ts, and the alerts that must (and
 * must not) fire on them. A rules file rendered with a looser limit must fail the same test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ALERTS,
  MIGRATION_THRESHOLDS,
  type MigrationThresholds,
  renderRules,
} from '../../dashboards/index.ts';
import { ensureImages } from '../../images/index.ts';
import { promtool } from './promtool.ts';

let image: string;
let dir: string;

beforeAll(async () => {
  image = (await ensureImages(['prometheus'])).prometheus;
  dir = await mkdtemp(join(tmpdir(), 'alerts-'));
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T = MIGRATION_THRESHOLDS;
const SCRAPE = '10s';
const STEPS = 40; // 400 s of series
/** Well past the rate window and the hold: the alert has fired if it ever will. */
const FIRED_AT = `${T.rateWindowSeconds + T.holdSeconds + 60}s`;
/** Inside the hold after the first rate (two scrapes, at 10 s): pending, not yet firing. */
const PENDING_AT = `${10 + Math.floor(T.holdSeconds / 2)}s`;

/** A counter growing by `step` every scrape. */
const grows = (step: number) => `0+${step}x${STEPS}`;

/** Raft message histogram of one transport whose observations all fall in (lower, upper] seconds. */
function messages(transport: string, upper: number, perScrape: number) {
  return ['0.001', '0.005', '0.01', '0.025', '0.05', '0.1', '+Inf'].map((le) => ({
    series: `blixard_raft_message_duration_seconds_bucket{transport="${transport}",le="${le}"}`,
    values: le === '+Inf' || Number(le) >= upper ? grows(perScrape) : grows(0),
  }));
}

const slowIrohP99 = 0.025 + (0.05 - 0.025) * 0.99; // every message in (25, 50] ms: histogram_quantile's p99
const testFile = {
  rule_files: ['rules.yml'],
  evaluation_interval: SCRAPE,
  tests: [
    {
      name: 'Raft p99 over its limit on Iroh only',
      interval: SCRAPE,
      input_series: [...messages('iroh', 0.05, 20), ...messages('grpc', 0.005, 20)],
      alert_rule_test: [
        { eval_time: PENDING_AT, alertname: ALERTS.raftP99, exp_alerts: [] },
        {
          eval_time: FIRED_AT,
          alertname: ALERTS.raftP99,
          exp_alerts: [
            {
              exp_labels: { severity: 'warning', transport: 'iroh' },
              exp_annotations: {
                summary: `Raft message p99 over iroh is ${(slowIrohP99 * 1000).toFixed(2)}ms; Raft moves to Iroh only under ${T.raftMessageP99Ms} ms`,
              },
            },
          ],
        },
      ],
    },
    {
      name: 'Iroh errors and fallbacks above their share fire; below it they do not',
      interval: SCRAPE,
      input_series: [
        // Outgoing Iroh calls: 2 × the allowed error share fail; half the allowed share fall back.
        { series: 'blixard_rpc_client_duration_seconds_count{transport="iroh"}', values: grows(1000) },
        {
          series: 'blixard_transport_connection_errors_total{transport="iroh"}',
          values: grows(1000 * T.irohErrorRatio * 2),
        },
        { series: 'blixard_transport_fallbacks_total', values: grows(1000 * T.fallbackRatio * 0.5) },
      ],
      alert_rule_test: [
        {
          eval_time: FIRED_AT,
          alertname: ALERTS.irohErrors,
          exp_alerts: [
            {
              exp_labels: { severity: 'warning' },
              exp_annotations: {
                summary: `${T.irohErrorRatio * 200}% of outgoing Iroh calls failed (UNAVAILABLE or deadline); a rollout allows ${T.irohErrorRatio * 100} %`,
              },
            },
          ],
        },
        { eval_time: FIRED_AT, alertname: ALERTS.fallbacks, exp_alerts: [] },
      ],
    },
    {
      name: 'leader churn: more leader changes than allowed within the window',
      interval: SCRAPE,
      input_series: [
        // n1 sees one change more than allowed, early on; n2 exactly the allowed number.
        {
          series: 'blixard_raft_leader_changes{node="n1"}',
          values: `1+1x${T.leaderChanges + 1} ${T.leaderChanges + 2}x${STEPS}`,
        },
        {
          series: 'blixard_raft_leader_changes{node="n2"}',
          values: `1+1x${T.leaderChanges} ${T.leaderChanges + 1}x${STEPS}`,
        },
      ],
      alert_rule_test: [
        {
          eval_time: `${(T.leaderChanges + 2) * 10}s`,
          alertname: ALERTS.leaderChurn,
          exp_alerts: [
            {
              exp_labels: { severity: 'warning' },
              exp_annotations: {
                summary: `A node saw ${T.leaderChanges + 1} leader changes in 5m; more than ${T.leaderChanges} is churn (elections are not stable)`,
              },
            },
          ],
        },
        // Once the changes are older than the window, the alert resolves.
        { eval_time: `${T.leaderChurnWindowSeconds + 60}s`, alertname: ALERTS.leaderChurn, exp_alerts: [] },
      ],
    },
  ],
};

async function testRules(thresholds: MigrationThresholds) {
  const rules = join(dir, `rules-${thresholds.raftMessageP99Ms}.yml`);
  const tests = join(dir, `tests-${thresholds.raftMessageP99Ms}.yml`);
  await writeFile(rules, renderRules(thresholds));
  await writeFile(tests, stringify(testFile));
  return promtool(
    image,
    ['test', 'rules', '/check/tests.yml'],
    [
      { source: rules, target: '/check/rules.yml' },
      { source: tests, target: '/check/tests.yml' },
    ],
  );
}

describe('rollout alerts (promtool test rules)', () => {
  it('fire on either side of the shared thresholds as they should', async () => {
    const r = await testRules(T);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
  }, 120_000);

  it('fail the same test when the rules are rendered with a looser Raft limit', async () => {
    const r = await testRules({ ...T, raftMessageP99Ms: 100 });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(ALERTS.raftP99);
  }, 120_000);
});
