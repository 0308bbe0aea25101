/**
 * `lab report` on a real recorded run, and the report opened in a real browser: Debian's Chromium,
 * headless, driven by playwright-core. The recorded run gets a real `lab load` beside it (a one-node
 * lab, both transports), which its report draws. The reports and screenshots stay under
 * runs/report-browser-test/ for a person to open.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildReportModel,
  chartLibrary,
  type ReportModel,
  readRunFiles,
  renderReport,
} from '../../chaos/report/index.ts';
import { REPO_ROOT } from '../../lab/runtime/index.ts';
import { checkLinearizable, type HistoryEntry } from '../../scenarios/checkers/index.ts';
import { loadCluster } from '../load/index.ts';
import { startTestLab } from '../run-lab.ts';
import { checkReport, launchChromium } from './page-check.ts';

const FIXTURE_ID = 'run-20261130-052107-938f';
const FIXTURE = join(REPO_ROOT, 'chaos', 'report', 'testdata', FIXTURE_ID);
const OUT = join(REPO_ROOT, 'runs', 'report-browser-test');
const PASSED = join(OUT, FIXTURE_ID);
const FAILED = join(OUT, `${FIXTURE_ID}-broken`);
const PANELS = [
  'verdict',
  'timeline',
  'latency',
  'throughput',
  'term',
  'leaders',
  'raftMessages',
  'loadThroughput',
  'loadLatency',
];

const run = promisify(execFile);

function lab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(REPO_ROOT, 'cli', 'lab.ts'), ...args], { cwd: REPO_ROOT }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

/** The same run with one ok read made to return a value nobody wrote: its key cannot be linearized. */
async function makeBrokenRun(): Promise<void> {
  await cp(FIXTURE, FAILED, { recursive: true });
  const history: HistoryEntry[] = (await readFile(join(FAILED, 'history.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  const read = history.find((h, i) => i > history.length / 2 && h.type === 'ok' && h.f === 'read' && h.value);
  if (!read) throw new Error('fixture: no ok read with a value to alter');
  read.value = 'never-written';
  await writeFile(join(FAILED, 'history.jsonl'), history.map((h) => `${JSON.stringify(h)}\n`).join(''));
  const lin = checkLinearizable(history);
  if (lin.valid !== false) throw new Error(`fixture: the altered history is still ${lin.valid}`);
  const verdict = JSON.parse(await readFile(join(FAILED, 'verdict.json'), 'utf8'));
  Object.assign(verdict, {
    status: 'fail',
    linearizable: false,
    explanation: lin.explanation,
    reason: lin.explanation,
  });
  await writeFile(join(FAILED, 'verdict.json'), `${JSON.stringify(verdict, null, 2)}\n`);
}

async function writeVariant(name: string, change: (m: ReportModel) => void): Promise<string> {
  const model = buildReportModel(await readRunFiles(PASSED));
  change(model);
  const file = join(OUT, name);
  await writeFile(file, renderReport(model, await chartLibrary()));
  return file;
}

describe('lab report', () => {
  let browser: Browser;
  let made: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
    await cp(FIXTURE, PASSED, { recursive: true });
    await makeBrokenRun();
    const small = await startTestLab('report-load-');
    try {
      const load = await loadCluster(small.cluster, undefined, { rate: '50', duration: '3s' });
      await writeFile(join(PASSED, `${load.id}.json`), JSON.stringify(load));
    } finally {
      await small.stop();
    }
    made = await lab('report', PASSED, FAILED);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('writes report.html for each run named and the index of the runs beside them', async () => {
    const r = made;
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stdout).toContain(`${join(PASSED, 'report.html')}  (pass)`);
    expect(r.stdout).toContain(`${join(FAILED, 'report.html')}  (fail)`);
    expect(r.stdout).toContain(`${join(OUT, 'index.html')}  (index)`);
    const html = await readFile(join(PASSED, 'report.html'), 'utf8');
    // Self-contained: no script, stylesheet or image is loaded from anywhere.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/);
    expect(html).toContain('uPlot');
    const index = await readFile(join(OUT, 'index.html'), 'utf8');
    expect(index).toContain(`href="${FIXTURE_ID}/report.html"`);
    expect(index).toContain(`data-run="${FIXTURE_ID}-broken" data-status="fail"`);
  });

  it('refuses a directory that is not a run, naming it (exit 2)', async () => {
    const r = await lab('report', join(OUT, 'no-such-run'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(OUT, 'no-such-run')}: no such run directory`);
  });

  it("opens a real run's report in Chromium: every panel has data points, no console error, the verdict shown", async () => {
    const shot = join(PASSED, 'report.png');
    const seen = await checkReport(browser, join(PASSED, 'report.html'), { screenshot: shot });
    expect(seen.problems).toEqual([]);
    expect(seen.panels.map((p) => p.name)).toEqual(PANELS);
    for (const p of seen.panels.filter((x) => x.name !== 'verdict'))
      expect(p.points, p.name).toBeGreaterThan(0);
    expect(seen.verdict).toBe('pass');
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
  });

  it("draws a failed run's unorderable ops per client, with the verdict INVALID", async () => {
    const shot = join(FAILED, 'report.png');
    const seen = await checkReport(browser, join(FAILED, 'report.html'), { screenshot: shot });
    expect(seen.problems).toEqual([]);
    expect(seen.verdict).toBe('fail');
    const lin = seen.panels.find((p) => p.name === 'linearizability');
    expect(lin?.points).toBeGreaterThan(0);
    expect(lin?.text).toMatch(/the op no order can place/);
    expect(lin?.text).toMatch(/the one no order can place/);
    expect(seen.panels.find((p) => p.name === 'verdict')?.text).toContain('INVALID');
  });

  it('the browser check fails on a report with an empty panel', async () => {
    const file = await writeVariant('empty-panel.html', (m) => {
      if ('series' in m.latency) for (const s of m.latency.series) s.values = s.values.map(() => null);
    });
    const seen = await checkReport(browser, file);
    expect(seen.problems).toEqual(['panel latency: 0 data points']);
  });

  it('the browser check fails on a report without a verdict', async () => {
    const file = await writeVariant('no-verdict.html', (m) => {
      m.verdict = undefined;
      m.checkers = { missing: 'the run left no verdict.json' };
    });
    const seen = await checkReport(browser, file);
    expect(seen.problems).toEqual([
      'verdict missing: Verdict Run pass Not recorded: the run left no verdict.json',
    ]);
    const bare = join(OUT, 'no-verdict-panel.html');
    await writeFile(
      bare,
      (await readFile(file, 'utf8')).replace(
        /<section class="panel" data-panel="verdict"[\s\S]*?<\/section>/,
        '',
      ),
    );
    expect((await checkReport(browser, bare)).problems).toEqual(['no verdict panel']);
  });

  it('the browser check fails on a panel whose source was not recorded', async () => {
    const file = await writeVariant('missing-panel.html', (m) => {
      m.raftMessages = { missing: 'no metrics/*.prom snapshot in this run' };
    });
    expect((await checkReport(browser, file)).problems).toEqual([
      'panel raftMessages: no data (Raft message latency per transport Not recorded: no metrics/*.prom snapshot in this run)',
    ]);
  });
});
