/** Writes runs/<id>/report.html (with uPlot inlined from node_modules) and runs/index.html. */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { LOAD_FILE } from '../../scenarios/load/index.ts';
import { withLoadPanels } from './load-panels.ts';
import { buildReportModel, type ReportModel } from './model.ts';
import { readRunFiles } from './read.ts';
import { type ChartLibrary, type IndexEntry, renderIndex, renderReport } from './render.ts';

let library: ChartLibrary | undefined;

/** uPlot's browser build and stylesheet, read once from the installed package. */
export async function chartLibrary(): Promise<ChartLibrary> {
  if (library) return library;
  let dist: string;
  try {
    dist = dirname(createRequire(import.meta.url).resolve('uplot'));
  } catch {
    throw new Error("the 'uplot' package is not installed (npm install): the report inlines its code");
  }
  library = {
    js: await readFile(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: await readFile(join(dist, 'uPlot.min.css'), 'utf8'),
  };
  return library;
}

/** Reads runs/<id>/, writes its report.html beside the files, returns its path and model. */
export async function writeReport(runDir: string): Promise<{ path: string; model: ReportModel }> {
  const dir = resolve(runDir);
  const files = await readRunFiles(dir);
  const model = withLoadPanels(buildReportModel(files), files.loads);
  const path = join(dir, 'report.html');
  await writeFile(path, renderReport(model, await chartLibrary()));
  return { path, model };
}

async function entryOf(runsDir: string, id: string): Promise<IndexEntry | undefined> {
  const dir = join(runsDir, id);
  const has = async (f: string) => (await stat(join(dir, f)).catch(() => undefined)) !== undefined;
  const loads = (await readdir(dir).catch(() => [])).filter((f) => LOAD_FILE.test(f));
  if (!(await has('events.jsonl')) && !(await has('verdict.json')) && loads.length === 0) return undefined;
  let verdict: Record<string, unknown> | undefined;
  try {
    verdict = JSON.parse(await readFile(join(dir, 'verdict.json'), 'utf8'));
  } catch {
    verdict = undefined;
  }
  let first: Record<string, unknown> | undefined;
  try {
    const text = await readFile(join(dir, 'events.jsonl'), 'utf8');
    first = JSON.parse(text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n')));
  } catch {
    first = undefined;
  }
  const detail = (first?.detail ?? {}) as Record<string, unknown>;
  return {
    id,
    title: typeof detail.incident === 'string' ? detail.incident : '',
    status: typeof verdict?.status === 'string' ? verdict.status : 'no verdict',
    seed: typeof detail.seed === 'number' ? detail.seed : undefined,
    startedAt: typeof first?.wall === 'string' ? first.wall : undefined,
    reason: typeof verdict?.reason === 'string' ? verdict.reason : undefined,
    report: (await has('report.html')) ? `${id}/report.html` : undefined,
  };
}

/** Writes <runsDir>/index.html listing every run directory under it; returns its path. */
export async function writeRunsIndex(runsDir: string): Promise<{ path: string; entries: IndexEntry[] }> {
  const names = await readdir(runsDir, { withFileTypes: true }).catch(() => []);
  const entries: IndexEntry[] = [];
  for (const d of names) {
    if (!d.isDirectory()) continue;
    const e = await entryOf(runsDir, d.name);
    if (e) entries.push(e);
  }
  const path = join(runsDir, 'index.html');
  await writeFile(path, renderIndex(entries));
  return { path, entries };
}

/**
 * What a recorded run does at its end: its report, then the index of the runs beside it. A report
 * that cannot be made is said through `onError` and never changes the run's verdict.
 */
export async function reportRun(runDir: string, onError: (line: string) => void): Promise<void> {
  try {
    await writeReport(runDir);
    await writeRunsIndex(dirname(resolve(runDir)));
  } catch (err) {
    onError(`report of ${runDir} not written: ${err instanceof Error ? err.message : String(err)}`);
  }
}
