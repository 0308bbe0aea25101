/**
 * Each checker fires on a real docker run, by a fault no correct node survives (scenarios/incidents/
 * firing/): a majority that loses its data (the set, register and task checkers), a guest started by hand on
 * a second node (the VM invariants), a big latency against a tight service level (the SLO checker).
 * The named checker must be false with evidence; the others must still decide (none `unknown`).
 * Skipped where no Docker engine answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerReachable } from '../../lab/runtime/index.ts';
import { loadIncident } from '../schedule/index.ts';
import { runIncident } from './run.ts';

const docker = await dockerReachable();
const FIRING = join(import.meta.dirname, '..', '..', 'scenarios', 'incidents', 'firing');

const dirs: string[] = [];
afterAll(async () => {
  if (!process.env.KEEP_RUNS) await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Incident file → the checkers that must fail on it. */
const CASES: [string, string[]][] = [
  // The sets' final reads see every acknowledged add lost; a register shows it only when a read reaches
  // a wiped key before a write does (most runs, not all: on a loaded host a run may have few reads).
  // A task acknowledged before the wipe is not found after it.
  [
    'wipe-data.yaml',
    [
      'sets: linearizable',
      'sets: every acknowledged add read, nothing unknown read',
      'tasks: each runs at most once, its reported result is the one that ran',
    ],
  ],
  ['rogue-guest.yaml', ['vm: a guest never runs on two nodes at once']],
  ['latency-slo.yaml', ['service levels per transport (error rate, p99, recovery after each heal)']],
];

describe.skipIf(!docker)('each checker fires on the fault it is for', () => {
  for (const [file, names] of CASES) {
    it(`${file}: ${names.join(', ')}`, async () => {
      const runsDir = await mkdtemp(join(tmpdir(), 'runs-'));
      dirs.push(runsDir);
      const run = await runIncident({ incident: await loadIncident(join(FIRING, file)), runsDir });
      const { verdict } = run;
      const checkers = verdict.checkers ?? [];
      const show = checkers.map((c) => `${c.name}: ${c.valid} — ${c.explanation.slice(0, 200)}`).join('\n');
      expect(verdict.nemesisErrors, show).toEqual([]);
      expect(verdict.status, show).toBe('fail');
      for (const name of names) {
        const c = checkers.find((x) => x.name === name);
        expect(c?.valid, `${name}\n${show}`).toBe(false);
        expect(c?.evidence, name).toBeTruthy();
        expect(JSON.stringify(c?.evidence), name).not.toMatch(/^(\[\]|\{\}|null)$/);
      }
      for (const c of checkers) expect(c.valid, `${c.name} undecided\n${show}`).not.toBe('unknown');
    }, 300_000);
  }
});
