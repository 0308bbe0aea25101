/**
 * `lab nightly [--budget 60m] [--seeds 3] [--incidents DIR|FILE...] [--only NAME...] [--out DIR] [--json]`:
 * the bounded chaos matrix (every incident file × seeds, docker runtime) with JUnit XML, a summary,
 * the runs' index and a replay command per failure; exit 1 on any failure. `make nightly` and
 * `make chaos-smoke` run it.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseBudget, runNightly } from '../../chaos/nightly/index.ts';
import { LabError, REPO_ROOT } from '../../lab/runtime/index.ts';

export interface NightlyFlags {
  budget?: string;
  seeds?: string;
  only?: string[];
  /** Incident files or directories of them (default scenarios/incidents and scenarios/migration). */
  incidents?: string[];
  out?: string;
  runtime?: string;
  json?: boolean;
}

export interface NightlyIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const INCIDENTS_DIR = join(REPO_ROOT, 'scenarios', 'incidents');
export const MIGRATION_DIR = join(REPO_ROOT, 'scenarios', 'migration');

export async function nightlyCommand(flags: NightlyFlags, io: NightlyIo): Promise<number> {
  let budgetMs: number;
  try {
    budgetMs = parseBudget(flags.budget ?? process.env.NIGHTLY_BUDGET ?? '60m');
  } catch (err) {
    throw new LabError('usage', `--budget: ${(err as Error).message}`);
  }
  const seedCount = Number(flags.seeds ?? '3');
  if (!Number.isInteger(seedCount) || seedCount < 1 || seedCount > 100)
    throw new LabError('usage', `--seeds '${flags.seeds}': expected a whole number from 1 to 100`);
  if (flags.runtime !== undefined && flags.runtime !== 'docker' && flags.runtime !== 'process')
    throw new LabError('usage', `--runtime '${flags.runtime}': expected docker or process`);
  const all = await incidentFiles(flags.incidents ?? [INCIDENTS_DIR, MIGRATION_DIR]);
  const only = flags.only ?? [];
  const named = (file: string, o: string) => basename(file) === o || basename(file, '.yaml') === o;
  const unknown = only.filter((o) => !all.some((f) => named(f, o)));
  if (unknown.length > 0)
    throw new LabError(
      'usage',
      `--only ${unknown.join(', ')}: no such incident (${all.map((f) => basename(f, '.yaml')).join(', ')})`,
    );
  const files = all.filter((f) => only.length === 0 || only.some((o) => named(f, o)));
  const result = await runNightly({
    files,
    seeds: Array.from({ length: seedCount }, (_, i) => i + 1),
    budgetMs,
    // Absolute: the cluster's config dirs under it are bind-mounted, and docker reads a relative one as a volume name.
    outDir: flags.out === undefined ? undefined : resolve(flags.out),
    runtime: flags.runtime as 'docker' | 'process' | undefined,
    onProgress: (line) => io.err(`nightly: ${line}\n`),
  });
  if (flags.json)
    io.out(`${JSON.stringify({ dir: result.dir, failed: result.failed, results: result.results })}\n`);
  else {
    const pass = result.results.filter((r) => r.status === 'pass').length;
    const skipped = result.results.filter((r) => r.status === 'skipped').length;
    io.out(`nightly: ${pass} pass, ${result.failed} failed, ${skipped} skipped — ${result.dir}\n`);
    for (const r of result.results.filter((x) => x.status !== 'pass' && x.status !== 'skipped'))
      io.out(
        `  ${r.status}: ${r.incident} seed ${r.seed} — ${r.reason ?? ''}\n    replay: ${r.replay ?? '-'}\n`,
      );
    io.out(
      `  junit: ${join(result.dir, 'junit.xml')} · summary: ${join(result.dir, 'summary.md')} · index: ${join(result.dir, 'index.html')}\n`,
    );
  }
  return result.failed === 0 ? 0 : 1;
}

/** The incident files of each path: a file as given, a directory's `*.yaml` in name order. */
async function incidentFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const full = resolve(path);
    const kind = await stat(full).catch(() => undefined);
    if (!kind) throw new LabError('usage', `--incidents ${path}: no such file or directory`);
    if (kind.isDirectory()) {
      // A migration scenario's rollout files are read by its runs, not run themselves.
      const yaml = (await readdir(full))
        .filter((f) => f.endsWith('.yaml') && !f.endsWith('.rollout.yaml'))
        .sort();
      if (yaml.length === 0) throw new LabError('usage', `--incidents ${path}: no *.yaml incident in it`);
      files.push(...yaml.map((f) => join(full, f)));
    } else files.push(full);
  }
  return files;
}
