/**
 * bench/workloads: completed ops/s of each workload (register, set, vm, task, image) alone on a
 * healthy 3-node docker cluster (dual mode, both transports), each run as a chaos run without faults
 * would run it: the run's recorder writes history.jsonl, the samplers watch every node, and the
 * judges check what was recorded (a register history that is no longer decidable would show here as
 * a verdict other than pass).
 *
 * With `--baseline-image <tag>` a second cluster runs that node image (e.g. one built from an older
 * commit) and the two take turns, workload by workload and round by round, so the load others put
 * on the machine falls on both alike.
 *
 *   node bench/workloads/main.ts [--quick] [--only register,set] [--rounds N] [--baseline-image TAG] [--process]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { parseIncident } from '../../chaos/schedule/index.ts';
import { runIncident } from '../../chaos/suite/index.ts';
import { Cluster } from '../../lab/runtime/index.ts';
import type { WorkloadName } from '../../scenarios/workloads/index.ts';
import { median, printBenchJson, ratioGoal } from '../lib/index.ts';

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const quick = process.argv.includes('--quick');
/** docker (the default, as chaos runs) or process (nodes as host processes, e.g. to profile them). */
const runtime = process.argv.includes('--process') ? 'process' : 'docker';
const baselineImage = flag('--baseline-image');
const ROUNDS = Number(flag('--rounds') ?? (baselineImage ? 2 : 1));
const DURATION_S = quick ? 8 : 15;
/** Clients per workload: the incident default for registers, fewer where each op is heavier. */
const CLIENTS: Record<WorkloadName, number> = { register: 32, set: 16, vm: 4, task: 16, image: 8, status: 4 };
/** The register rate a chaos run needs to put enough ops around each fault. */
const REGISTER_GOAL = 200;

const names = (flag('--only')?.split(',') ?? Object.keys(CLIENTS)) as WorkloadName[];
for (const n of names) if (!(n in CLIENTS)) throw new Error(`--only: no workload '${n}'`);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1))
  throw new Error(`--rounds: '${flag('--rounds')}' is not a count`);

interface Measured {
  node: string;
  workload: WorkloadName;
  completedPerSec: number;
  okPerSec: number;
  verdict: string;
}

const runsDir = await mkdtemp(join(tmpdir(), 'bench-workloads-'));
const targets: { node: string; cluster: Cluster }[] = [];
const results: Measured[] = [];
try {
  for (const [node, image] of [
    ['this tree', undefined],
    ...(baselineImage ? [['baseline', baselineImage]] : []),
  ]) {
    process.stderr.write(`bench/workloads: starting a 3-node ${runtime} cluster (dual, ${node})…\n`);
    const cluster = await Cluster.start({
      nodes: 3,
      runtime,
      mode: 'dual',
      workDir: join(runsDir, `cluster-${targets.length}`),
      ...(image && { image }),
    });
    targets.push({ node: node as string, cluster });
    await cluster.waitForLeader(60_000);
  }
  // Each round the other cluster goes first, so neither always follows the other's load.
  for (const workload of names)
    for (let round = 0; round < ROUNDS; round++)
      for (const { node, cluster } of round % 2 ? [...targets].reverse() : targets)
        results.push(await measure(node, cluster, workload));
} finally {
  await Promise.all(targets.map((t) => t.cluster.stop()));
  if (!process.env.KEEP_RUNS) await rm(runsDir, { recursive: true, force: true });
}

async function measure(node: string, cluster: Cluster, workload: WorkloadName): Promise<Measured> {
  const clients = CLIENTS[workload];
  const incident = parseIncident(
    [
      `name: bench ${workload}`,
      'self_check: false',
      `workload: { mix: { ${workload}: ${clients} }, keys: 16, duration: ${DURATION_S}s, max_ops: 1000000 }`,
      'schedule: []',
    ].join('\n'),
    `bench-${workload}.yaml`,
  );
  process.stderr.write(`bench/workloads: ${workload} on ${node}, ${clients} clients, ${DURATION_S} s…\n`);
  const run = await runIncident({ incident, cluster, runsDir });
  const w = run.verdict.workload?.byWorkload[workload];
  const reason = run.verdict.reason?.split('\n')[0];
  return {
    node,
    workload,
    completedPerSec: w?.completedPerSec ?? 0,
    okPerSec: w?.okPerSec ?? 0,
    verdict: `${run.verdict.status}${reason ? ` (${reason})` : ''}`,
  };
}

const table = new Table({
  head: ['workload', 'node', 'clients', 'completed/s (each round)', 'median', 'ok/s median', 'verdicts'],
});
const figures: Record<string, number | string> = {};
const rows = (workload: WorkloadName, node: string) =>
  results.filter((r) => r.workload === workload && r.node === node);
for (const workload of names)
  for (const { node } of targets) {
    const rs = rows(workload, node);
    const completed = median(rs.map((r) => r.completedPerSec));
    const ok = median(rs.map((r) => r.okPerSec));
    const verdicts = [...new Set(rs.map((r) => r.verdict))];
    table.push([
      workload,
      node,
      CLIENTS[workload],
      rs.map((r) => r.completedPerSec).join(', '),
      completed,
      ok,
      verdicts.join('; '),
    ]);
    const key = node === 'this tree' ? workload : `${workload}.${node}`;
    figures[`${key}.completedPerSec`] = completed;
    figures[`${key}.okPerSec`] = ok;
    figures[`${key}.verdict`] = verdicts.join('; ');
  }
console.log(
  `\nbench/workloads — each workload alone for ${DURATION_S} s on a healthy 3-node ${runtime} cluster`,
);
console.log(table.toString());

const register = rows('register', 'this tree');
const registerRate = median(register.map((r) => r.completedPerSec));
const linearizable = register.length > 0 && register.every((r) => r.verdict === 'pass');
printBenchJson(
  'workloads',
  figures,
  register.length > 0
    ? [
        ratioGoal('register completed ops/s', registerRate, '≥', REGISTER_GOAL),
        {
          name: 'register history judged linearizable',
          goal: 'pass',
          value: linearizable ? 1 : 0,
          met: linearizable,
        },
      ]
    : [],
);
