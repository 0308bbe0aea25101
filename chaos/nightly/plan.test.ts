import { describe, expect, it } from 'vitest';
import { type CellResult, junitXml, summaryTable } from './junit.ts';
import { fits, parseBudget, planMatrix } from './plan.ts';

describe('the nightly matrix', () => {
  const incidents = [
    { name: 'a', file: 'a.yaml', mode: 'dual' },
    { name: 'b', file: 'b.yaml', mode: 'iroh' },
  ];

  it('covers every incident before repeating one', () => {
    expect(planMatrix(incidents, [1, 2]).map((c) => `${c.incident}${c.seed}`)).toEqual([
      'a1',
      'b1',
      'a2',
      'b2',
    ]);
  });

  it('starts a run only when the budget left holds the longest so far', () => {
    expect(fits(300_000, [], 240_000)).toBe(true);
    expect(fits(200_000, [], 240_000)).toBe(false);
    expect(fits(100_000, [60_000, 90_000], 240_000)).toBe(true);
    expect(fits(80_000, [60_000, 90_000], 240_000)).toBe(false);
  });

  it('reads budgets and names a bad one', () => {
    expect(parseBudget('60m')).toBe(3_600_000);
    expect(parseBudget('90s')).toBe(90_000);
    expect(parseBudget('1h')).toBe(3_600_000);
    expect(() => parseBudget('soon')).toThrow(/budget 'soon'/);
  });
});

describe('nightly outputs', () => {
  const results: CellResult[] = [
    {
      incident: 'a',
      seed: 1,
      mode: 'dual',
      status: 'pass',
      ms: 60_000,
      dir: 'runs/n/r1',
      replay: 'node cli/lab.ts replay runs/n/r1',
    },
    {
      incident: 'a',
      seed: 2,
      mode: 'dual',
      status: 'fail',
      ms: 70_000,
      reason: 'registers: key k0 <not> linearizable',
      dir: 'runs/n/r2',
      replay: 'node cli/lab.ts replay runs/n/r2',
    },
    { incident: 'b', seed: 1, mode: 'iroh', status: 'skipped', ms: 0, reason: 'budget' },
  ];

  it('writes JUnit XML a CI reads: suites per incident, a failure with its replay command, escaped', () => {
    const xml = junitXml(results);
    expect(xml).toContain(
      '<testsuites name="blixard-lab nightly" tests="3" failures="1" errors="0" skipped="1" time="130.0">',
    );
    expect(xml).toContain('<testsuite name="a" tests="2" failures="1"');
    expect(xml).toContain('<failure message="fail: registers: key k0 &lt;not&gt; linearizable">');
    expect(xml).toContain('replay: node cli/lab.ts replay runs/n/r2');
    expect(xml).toContain('<skipped message="budget"/>');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
  });

  it('summarises every cell, with the replay command of each failure', () => {
    const table = summaryTable(results);
    expect(table).toContain('3 cells: 1 pass, 1 fail, 0 unknown, 0 aborted, 1 skipped');
    expect(table).toContain(
      '| a | 2 | dual | fail | 70 s | registers: key k0 <not> linearizable — `node cli/lab.ts replay runs/n/r2` |',
    );
  });
});
