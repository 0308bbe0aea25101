/**
 * A failing nightly cell replays to the same failure: the nightly runs a firing incident (a majority
 * of nodes loses its data, which no correct node survives), records it failed with a replay command,
 * and that command, run as printed, fails the same checker on a new cluster. Docker runtime; skipped
 * where no Docker engine answers.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerReachable, REPO_ROOT } from '../../lab/runtime/index.ts';
import { runLab } from '../run-lab.ts';
import { nightlyCommand } from './nightly.ts';

const docker = await dockerReachable();
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The checkers a run's verdict says failed (valid: false). */
async function failedCheckers(runDir: string): Promise<string[]> {
  const verdict = JSON.parse(await readFile(join(runDir, 'verdict.json'), 'utf8')) as {
    checkers?: { name: string; valid: boolean | 'unknown' }[];
  };
  return (verdict.checkers ?? []).filter((c) => c.valid === false).map((c) => c.name);
}

describe.skipIf(!docker)('a failing nightly cell', () => {
  it(
    'fails on a fault no correct node survives, and its printed replay command fails the same checker',
    async () => {
      const out = await mkdtemp(join(tmpdir(), 'nightly-firing-'));
      dirs.push(out);
      let text = '';
      let err = '';
      const code = await nightlyCommand(
        {
          budget: '10m',
          seeds: '1',
          incidents: [join(REPO_ROOT, 'scenarios', 'incidents', 'firing', 'wipe-data.yaml')],
          out,
          json: true,
        },
        { out: (t) => (text += t), err: (t) => (err += t) },
      );
      const cell = (JSON.parse(text) as { results: { status: string; dir?: string; replay?: string }[] })
        .results[0];
      expect(cell?.status, err).toBe('fail');
      expect(code).toBe(1);
      const first = await failedCheckers(cell?.dir as string);
      expect(first.length, `no checker failed in ${cell?.dir}`).toBeGreaterThan(0);
      expect(await readFile(join(out, 'junit.xml'), 'utf8')).toContain(`replay: ${cell?.replay}`);

      // The command exactly as the nightly printed it, run from the repository's root.
      const printed = /^node cli\/lab\.ts (replay \S+)$/.exec(cell?.replay ?? '');
      expect(printed, `replay command: ${cell?.replay}`).not.toBeNull();
      const replay = await runLab(join(out, 'no-lab.json'), (printed?.[1] ?? '').split(' '), {}, 9 * 60_000);
      const again = /record: (\S+)/.exec(replay.stdout)?.[1];
      if (again) dirs.push(again);
      expect(replay.code, `${replay.stdout}\n${replay.stderr}`).toBe(1);
      expect(replay.stdout).toMatch(/: fail/);
      const second = await failedCheckers(again as string);
      // The same fault at the same times: a checker that caught it the first time catches it again.
      expect(
        second.filter((c) => first.includes(c)),
        `first: ${first}; replay: ${second}`,
      ).not.toEqual([]);
    },
    20 * 60_000,
  );
});
