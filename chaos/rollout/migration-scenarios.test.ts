/**
 * The migration scenarios (scenarios/migration): every file is valid and every rollout plans on its
 * incident's cluster (the mixed modes that cannot work are refused, naming why); on docker, the
 * rollback iroh → dual → grpc and the fallback with Iroh cut on every link run under registers and
 * VMs with every checker. The 7-node canaries run in `make nightly`. Skipped where no Docker engine
 * answers.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerReachable, REPO_ROOT } from '../../lab/runtime/index.ts';
import { defaultStrategy } from '../../node/transport/index.ts';
import { readEvents, readHistory } from '../record/index.ts';
import { parseProm } from '../report/index.ts';
import { type Incident, loadIncident, strategyOf } from '../schedule/index.ts';
import { runIncident } from '../suite/index.ts';
import { loadRollout, planRollout, RolloutPlanError } from './index.ts';

const DIR = join(REPO_ROOT, 'scenarios', 'migration');
const docker = await dockerReachable();

const incidentFiles = async () =>
  (await readdir(DIR)).filter((f) => f.endsWith('.yaml') && !f.endsWith('.rollout.yaml')).sort();

function initial(incident: Incident) {
  const mode = incident.cluster.mode;
  const strategy = strategyOf(incident) ?? defaultStrategy(mode);
  return Object.fromEntries(
    Array.from({ length: incident.cluster.nodes }, (_, i) => [`n${i + 1}`, { mode, strategy }]),
  );
}

describe('migration scenario files', () => {
  it('are valid, and each rollout plans on its incident’s cluster', async () => {
    const files = await incidentFiles();
    expect(files).toEqual([
      'canary-loss.yaml',
      'canary.yaml',
      'fallback.yaml',
      'grpc-to-iroh.yaml',
      'mixed-modes.yaml',
      'rollback.yaml',
    ]);
    for (const f of files) {
      const incident = await loadIncident(join(DIR, f));
      for (const step of incident.schedule ?? []) {
        if (step.op.do !== 'rollout') continue;
        const plan = planRollout(await loadRollout(join(REPO_ROOT, step.op.file)), initial(incident));
        expect(plan.steps.length, f).toBeGreaterThan(0);
      }
    }
  });

  it('refuses a gRPC node beside an Iroh node before anything changes, naming the step and nodes', async () => {
    const rollout = await loadRollout(join(DIR, 'mixed-modes-refused.rollout.yaml'));
    const cluster = initial(await loadIncident(join(DIR, 'mixed-modes.yaml')));
    expect(() => planRollout(rollout, cluster)).toThrow(RolloutPlanError);
    expect(() => planRollout(rollout, cluster)).toThrow(
      /steps\[1\]: once n3 has changed: n1 \(grpc\) and n3 \(iroh\) share no transport: every call between them fails/,
    );
  });
});

const dirs: string[] = [];
afterAll(async () => {
  if (!process.env.KEEP_RUNS) await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function run(file: string) {
  const runsDir = await mkdtemp(join(tmpdir(), 'runs-'));
  dirs.push(runsDir);
  const result = await runIncident({ incident: await loadIncident(join(DIR, file)), runsDir });
  const checkers = (result.verdict.checkers ?? []).map(
    (c) => `${c.name}: ${String(c.valid)} — ${c.explanation}`,
  );
  return { ...result, checkers };
}

/** Every checker the migration scenarios are judged by must have run, and passed. */
function expectEveryChecker(checkers: string[]) {
  for (const name of [
    /^registers: linearizable: true/,
    /^vms: each record linearizable: true/,
    /^vm: a guest never runs on two nodes at once: true/,
    /^raft: /,
    /^availability: true/,
  ])
    expect(
      checkers.some((c) => name.test(c)),
      `${name} in\n${checkers.join('\n')}`,
    ).toBe(true);
}

describe.skipIf(!docker)('migration scenarios on docker', () => {
  it('rolls back iroh → dual → grpc under load: nothing lost, no VM twice, availability met', async () => {
    const r = await run('rollback.yaml');
    expect(r.verdict.status, `${r.verdict.reason}\n${r.checkers.join('\n')}`).toBe('pass');
    expectEveryChecker(r.checkers);
    expect(
      r.checkers.some((c) => /^rollout .*: true — completed: dual → groups to grpc → grpc/.test(c)),
    ).toBe(true);
    const events = await readEvents(r.dir);
    expect(events.filter((e) => e.kind === 'rollout-step').map((e) => e.detail?.step)).toEqual([
      'dual',
      'groups to grpc',
      'grpc',
    ]);
  }, 600_000);

  it('falls back to gRPC with Iroh cut on every link: calls go on, the counter rises, nothing twice', async () => {
    const r = await run('fallback.yaml');
    expect(r.verdict.status, `${r.verdict.reason}\n${r.checkers.join('\n')}`).toBe('pass');
    expectEveryChecker(r.checkers);
    // The cut took (Iroh failed and gRPC carried the calls): the nodes counted fallbacks.
    let fallbacks = 0;
    for (const node of ['n1', 'n2', 'n3']) {
      const text = await readFile(join(r.dir, 'metrics', `${node}.prom`), 'utf8');
      for (const s of parseProm(text))
        if (s.name === 'blixard_transport_fallbacks_total') fallbacks += s.value;
    }
    expect(fallbacks).toBeGreaterThan(0);
    // Writes went on being acknowledged while Iroh was cut.
    const events = await readEvents(r.dir);
    const cut = events.find((e) => e.kind === 'fault')?.t ?? Number.NaN;
    const healed = events.find((e) => e.kind === 'heal')?.t ?? Number.NaN;
    const history = await readHistory(r.dir);
    const okDuringCut = history.filter(
      (e) => e.type === 'ok' && e.f === 'write' && e.time > cut && e.time < healed,
    );
    expect(okDuringCut.length, `writes acknowledged between ${cut} and ${healed} ms`).toBeGreaterThan(0);
  }, 600_000);
});
