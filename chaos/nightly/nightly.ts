/**
 * The nightly chaos matrix: every incident × seeds on the docker runtime (each run on a cluster of its
 * own), within a time budget, recorded under runs/nightly-<date>/ with JUnit XML, a summary table, the
 * runs' index page and, for each failure, the command that replays it. Bounded: a run starts only when
 * the budget left can hold the longest run so far, and the rest are reported as skipped.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../../lab/runtime/index.ts';
import { writeRunsIndex } from '../report/index.ts';
import { loadIncident } from '../schedule/index.ts';
import { RUNS_DIR, runIncident } from '../suite/index.ts';
import { type CellResult, junitXml, summaryTable } from './junit.ts';
import { fits, planMatrix } from './plan.ts';

export interface NightlyOptions {
  /** Incident files (default: every scenarios/incidents/*.yaml). */
  files: readonly string[];
  seeds: readonly number[];
  budgetMs: number;
  /** Where the nightly's directory goes (default runs/nightly-<date>). */
  outDir?: string | undefined;
  /** Runtime of each run's own cluster (default docker, as the incidents say). */
  runtime?: 'docker' | 'process' | undefined;
  onProgress?: ((line: string) => void) | undefined;
  /** Before the first run finishes: how long one is assumed to take (default 4 min). */
  firstGuessMs?: number | undefined;
}

export interface NightlyResult {
  dir: string;
  results: CellResult[];
  failed: number;
}

export async function runNightly(o: NightlyOptions): Promise<NightlyResult> {
  const started = Date.now();
  const progress = o.onProgress ?? (() => undefined);
  const date = new Date(started).toISOString().slice(0, 19).replace(/[:]/g, '').replace('T', '-');
  const dir = resolve(o.outDir ?? join(RUNS_DIR, `nightly-${date}`));
  await mkdir(dir, { recursive: true });
  const incidents = [];
  for (const file of o.files) {
    const incident = await loadIncident(file);
    incidents.push({
      name: incident.name ?? basename(file, '.yaml'),
      file,
      mode: incident.cluster.mode,
      incident,
    });
  }
  const cells = planMatrix(incidents, o.seeds);
  const results: CellResult[] = [];
  const durations: number[] = [];
  for (const [i, cell] of cells.entries()) {
    const left = o.budgetMs - (Date.now() - started);
    if (!fits(left, durations, o.firstGuessMs ?? 240_000)) {
      results.push({
        ...cell,
        status: 'skipped',
        ms: 0,
        reason: `the budget left (${Math.round(left / 1000)} s) cannot hold another run`,
      });
      progress(
        `[${i + 1}/${cells.length}] ${cell.incident}, seed ${cell.seed}: skipped, ${Math.round(left / 1000)} s left`,
      );
      continue;
    }
    progress(`[${i + 1}/${cells.length}] ${cell.incident}, seed ${cell.seed} (${cell.mode})`);
    const t0 = Date.now();
    const base = incidents.find((x) => x.file === cell.file)?.incident;
    if (!base) continue;
    const incident = o.runtime ? { ...base, cluster: { ...base.cluster, runtime: o.runtime } } : base;
    let result: CellResult;
    try {
      const run = await runIncident({
        incident,
        seed: cell.seed,
        runsDir: dir,
        // The run's own steps (cluster start, self-check, each fault, judging), indented under its cell.
        onProgress: (line) => progress(`  ${line}`),
      });
      const v = run.verdict;
      result = {
        ...cell,
        status: v.status,
        ms: Date.now() - t0,
        reason: v.reason,
        dir: run.dir,
        replay: `node cli/lab.ts replay ${fromRoot(run.dir)}`,
      };
    } catch (err) {
      result = {
        ...cell,
        status: 'aborted',
        ms: Date.now() - t0,
        // One line (a table cell, a progress line): the self-check lists each link that failed on its own line.
        reason: (err as Error).message.replace(/\s*\n\s*/g, ' '),
        replay: `node cli/lab.ts replay ${fromRoot(cell.file)} --seed ${cell.seed}`,
      };
    }
    durations.push(result.ms);
    results.push(result);
    progress(
      `  ${result.status} in ${(result.ms / 1000).toFixed(0)} s${result.reason && result.status !== 'pass' ? ` — ${result.reason}` : ''}`,
    );
    await writeOutputs(dir, results);
  }
  await writeOutputs(dir, results);
  const failed = results.filter(
    (r) => r.status === 'fail' || r.status === 'unknown' || r.status === 'aborted',
  ).length;
  return { dir, results, failed };
}

/** A path as the replay command names it (run from the repository's root): relative inside it. */
function fromRoot(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith('..') ? resolve(path) : rel;
}

async function writeOutputs(dir: string, results: readonly CellResult[]): Promise<void> {
  await writeFile(join(dir, 'junit.xml'), junitXml(results));
  await writeFile(join(dir, 'summary.md'), summaryTable(results));
  await writeFile(join(dir, 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeRunsIndex(dir);
}
