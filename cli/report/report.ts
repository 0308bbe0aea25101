/**
 * `lab report [RUN...]`: makes runs/<id>/report.html again from what the run recorded, for each run
 * named (every run under runs/ when none is), then the index of the runs beside them (runs/index.html).
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { writeReport, writeRunsIndex } from '../../chaos/report/index.ts';
import { RUNS_DIR } from '../../chaos/suite/index.ts';
import { LabError } from '../../lab/runtime/index.ts';
import type { CommandIo } from '../io.ts';

export type ReportIo = CommandIo;

export interface ReportFlags {
  json?: boolean;
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

export async function reportCommand(runs: string[], flags: ReportFlags, io: ReportIo): Promise<number> {
  let dirs = runs.map((r) => resolve(r));
  if (dirs.length === 0) {
    const { entries } = await writeRunsIndex(RUNS_DIR);
    dirs = entries.map((e) => resolve(RUNS_DIR, e.id));
    if (dirs.length === 0) throw new LabError('usage', `no runs under ${RUNS_DIR}; name a run directory`);
  }
  for (const d of dirs) {
    if (!(await isDir(d))) throw new LabError('usage', `${d}: no such run directory`);
  }
  const written: { run: string; report: string; status: string }[] = [];
  const done: string[] = [];
  let failed = 0;
  for (const d of dirs) {
    try {
      const { path, model } = await writeReport(d);
      written.push({ run: basename(d), report: path, status: model.status });
      done.push(d);
      if (!flags.json) io.out(`${path}  (${model.status})\n`);
    } catch (err) {
      failed++;
      io.err(`lab report: ${d}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  const indexes: string[] = [];
  for (const parent of [...new Set(done.map((d) => dirname(d)))]) {
    const { path } = await writeRunsIndex(parent);
    indexes.push(path);
    if (!flags.json) io.out(`${path}  (index)\n`);
  }
  if (flags.json) io.out(`${JSON.stringify({ reports: written, indexes }, null, 2)}\n`);
  if (failed > 0 && written.length === 0 && runs.length > 0) {
    throw new LabError(
      'usage',
      `no report written: ${runs.join(', ')} ${runs.length === 1 ? 'is' : 'are'} not a run`,
    );
  }
  return failed > 0 ? 1 : 0;
}
