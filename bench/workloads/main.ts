/**
 * bench/workloads: completed ops/s of each workload (register, set, vm, task, image) alone on a
 * healthy 3-node docker cluster (dual mode, both transports), each run as a chaos run without faults
 * would run it: the run's recorder writes history.jsonl, the samplers watch every node, and the
 * judges check what was recorded (a register history that is no longer decidable would show here as
 * a verdict other than pass).
 *
 *   node bench/workloads/main.ts [--quick] [--only register,set] [--process]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { parseIncident } from '../../chaos/schedule/index.ts';
import { runIncident } from '../../chaos/suite/index.ts';
import { Cluster } from '../../lab/runtime/index.ts';
import type { WorkloadName } from '../../scenarios/workloads/index.ts';
import { printBenchJson, ratioGoal } from '../lib/index.ts';

const quick = process.argv.includes('--quick');
/** docker (the default, as chaos runs) or process (nodes as host processes, e.g. to profile them). */
const runtime = process.argv.includes('--process') ? 'process' : 'docker';
const onlyArg = process.argv[process.argv.indexOf('--only') + 1];
const DURATION_S = quick ? 8 : 15;
/** Clients per workload: the incident default for registers, fewer where each op is heavier. */
const CLIENTS: Record<WorkloadName, number> = {
  register: Number(process.env.REG_CLIENTS ?? 32),
  set: 16,
  vm: 4,
  task: 16,
  image: 8,
};
/** The register rate a chaos run needs to put enough ops around each fault. */
const REGISTER_GOAL = 200;

const names = (
  process.argv.includes('--only') && onlyArg ? onlyArg.split(',') : Object.keys(CLIENTS)
) as WorkloadName[];
for (const n of names) if (!(n in CLIENTS)) throw new Error(`--only: no workload '${n}'`);

interface Measured {
  workload: WorkloadName;
  clients: number;
  ops: number;
  ok: number;
  completedPerSec: number;
  okPerSec: number;
  verdict: string;
}

const runsDir = await mkdtemp(join(tmpdir(), 'bench-workloads-'));
process.stderr.write(`bench/workloads: starting a 3-node ${runtime} cluster (dual)…\n`);
const cluster = await Cluster.start({
  nodes: 3,
  runtime,
  mode: 'dual',
  workDir: join(runsDir, 'cluster'),
});
const results: Measured[] = [];
try {
  await cluster.waitForLeader(60_000);
  for (const workload of names) {
    const clients = CLIENTS[workload];
    const incident = parseIncident(
      [
        `name: bench ${workload}`,
        'self_check: false',
        `workload: { mix: { ${workload}: ${clients} }, keys: ${process.env.REG_KEYS ?? 16}, duration: ${DURATION_S}s, max_ops: 1000000 }`,
        'schedule: []',
      ].join('\n'),
      `bench-${workload}.yaml`,
    );
    process.stderr.write(`bench/workloads: ${workload}, ${clients} clients, ${DURATION_S} s…\n`);
    const run = await runIncident({ incident, cluster, runsDir });
    const w = run.verdict.workload?.byWorkload[workload];
    results.push({
      workload,
      clients,
      ops: w?.ops ?? 0,
      ok: w?.ok ?? 0,
      completedPerSec: w?.completedPerSec ?? 0,
      okPerSec: w?.okPerSec ?? 0,
      verdict: `${run.verdict.status}${run.verdict.reason ? ` (${run.verdict.reason.split('\n')[0]})` : ''}`,
    });
  }
} finally {
  await cluster.stop();
  if (!process.env.KEEP_RUNS) await rm(runsDir, { recursive: true, force: true });
}

const table = new Table({ head: ['workload', 'clients', 'ops', 'ok', 'completed/s', 'ok/s', 'verdict'] });
for (const r of results)
  table.push([r.workload, r.clients, r.ops, r.ok, r.completedPerSec, r.okPerSec, r.verdict]);
console.log(`\nbench/workloads — each workload alone for ${DURATION_S} s on a healthy 3-node ${runtime} cluster`);
console.log(table.toString());

const figures: Record<string, number | string> = {};
for (const r of results) {
  figures[`${r.workload}.completedPerSec`] = r.completedPerSec;
  figures[`${r.workload}.okPerSec`] = r.okPerSec;
  figures[`${r.workload}.verdict`] = r.verdict;
}
const register = results.find((r) => r.workload === 'register');
printBenchJson(
  'workloads',
  figures,
  register
    ? [
        ratioGoal('register completed ops/s', register.completedPerSec, '≥', REGISTER_GOAL),
        {
          name: 'register history judged linearizable',
          goal: 'pass',
          value: register.verdict === 'pass' ? 1 : 0,
          met: register.verdict === 'pass',
        },
      ]
    : [],
);
