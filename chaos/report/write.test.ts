import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportRun } from './index.ts';

const FIXTURE_ID = 'run-20261130-052107-938f';
const FIXTURE = join(import.meta.dirname, 'testdata', FIXTURE_ID);

describe('reportRun (what every recorded run calls at its end)', async () => {
  const runs = await mkdtemp(join(tmpdir(), 'report-runs-'));
  afterAll(() => rm(runs, { recursive: true, force: true }));

  it("writes the run's report.html and the runs' index.html listing it with its verdict", async () => {
    await cp(FIXTURE, join(runs, FIXTURE_ID), { recursive: true });
    const errors: string[] = [];
    await reportRun(join(runs, FIXTURE_ID), (l) => errors.push(l));
    expect(errors).toEqual([]);
    const html = await readFile(join(runs, FIXTURE_ID, 'report.html'), 'utf8');
    expect(html).toContain('<title>leader isolated under writes · run-20261130-052107-938f</title>');
    const index = await readFile(join(runs, 'index.html'), 'utf8');
    expect(index).toContain(`<tr data-run="${FIXTURE_ID}" data-status="pass">`);
    expect(index).toContain(`<a href="${FIXTURE_ID}/report.html">`);
  });

  it('says why when a report cannot be made, and never throws (the verdict stands)', async () => {
    const errors: string[] = [];
    await reportRun(join(runs, 'empty-run'), (l) => errors.push(l));
    expect(errors).toEqual([
      `report of ${join(runs, 'empty-run')} not written: ${join(runs, 'empty-run')}: not a run directory (no events.jsonl, history.jsonl or load-*.json)`,
    ]);
    expect(await stat(join(runs, 'empty-run', 'report.html')).catch(() => undefined)).toBeUndefined();
  });
});
