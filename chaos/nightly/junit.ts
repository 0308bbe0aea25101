/** The nightly's results as JUnit XML (one suite per incident, one case per seed and mode), and as a table. */

export interface CellResult {
  incident: string;
  seed: number;
  mode: string;
  status: 'pass' | 'fail' | 'unknown' | 'aborted' | 'skipped';
  ms: number;
  reason?: string | undefined;
  /** The run directory, when the run was recorded. */
  dir?: string | undefined;
  /** The command that replays it. */
  replay?: string | undefined;
}

const xmlText = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(results: readonly CellResult[], name = 'blixard-lab nightly'): string {
  const suites = new Map<string, CellResult[]>();
  for (const r of results) suites.set(r.incident, [...(suites.get(r.incident) ?? []), r]);
  const count = (rs: readonly CellResult[], ...s: CellResult['status'][]) =>
    rs.filter((r) => s.includes(r.status)).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlText(name)}" tests="${results.length}" failures="${count(results, 'fail', 'unknown')}" errors="${count(results, 'aborted')}" skipped="${count(results, 'skipped')}" time="${(results.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(1)}">`,
  ];
  for (const [incident, rs] of suites) {
    lines.push(
      `  <testsuite name="${xmlText(incident)}" tests="${rs.length}" failures="${count(rs, 'fail', 'unknown')}" errors="${count(rs, 'aborted')}" skipped="${count(rs, 'skipped')}" time="${(rs.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(1)}">`,
    );
    for (const r of rs) {
      lines.push(
        `    <testcase classname="${xmlText(incident)}" name="seed ${r.seed} (${xmlText(r.mode)})" time="${(r.ms / 1000).toFixed(1)}">`,
      );
      const body = [
        r.reason,
        r.replay ? `replay: ${r.replay}` : undefined,
        r.dir ? `record: ${r.dir}` : undefined,
      ]
        .filter(Boolean)
        .join('\n');
      if (r.status === 'fail' || r.status === 'unknown')
        lines.push(
          `      <failure message="${xmlText(`${r.status}: ${r.reason ?? ''}`)}">${xmlText(body)}</failure>`,
        );
      else if (r.status === 'aborted')
        lines.push(`      <error message="${xmlText(r.reason ?? 'aborted')}">${xmlText(body)}</error>`);
      else if (r.status === 'skipped')
        lines.push(`      <skipped message="${xmlText(r.reason ?? 'not run')}"/>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

export function summaryTable(results: readonly CellResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.incident} | ${r.seed} | ${r.mode} | ${r.status} | ${(r.ms / 1000).toFixed(0)} s | ${r.status === 'pass' || r.status === 'skipped' ? (r.reason ?? '') : `${r.reason ?? ''}${r.replay ? ` — \`${r.replay}\`` : ''}`} |`,
  );
  const n = (s: CellResult['status']) => results.filter((r) => r.status === s).length;
  return [
    `${results.length} cells: ${n('pass')} pass, ${n('fail')} fail, ${n('unknown')} unknown, ${n('aborted')} aborted, ${n('skipped')} skipped`,
    '',
    '| incident | seed | mode | status | time | note |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
