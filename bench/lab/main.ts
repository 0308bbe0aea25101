/**
 * bench/lab: seconds from `Cluster.start` to a healthy 3-node cluster with an
 * agreed leader, docker against process runtime in one run (warm: images
 * built; cold: the node, hub and runtime images rebuilt first), memory per
 * node, and the largest docker cluster that comes up healthy here.
 *
 *   node bench/lab/main.ts [--quick]
 */
import Table from 'cli-table3';
import { ensureImages } from '../../images/index.ts';
import { Cluster } from '../../lab/runtime/index.ts';
import { median, printBenchJson, ratioGoal } from '../lib/index.ts';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 2;
const SIZES = quick ? [5] : [5, 7];
type Runtime = 'process' | 'docker';

interface StartResult {
  seconds: number;
  rssMiB: number[];
}

/** Starts, waits for one agreed leader, reads each node's resident memory from its /metrics, stops. */
async function startOnce(runtime: Runtime, nodes: number): Promise<StartResult> {
  const began = performance.now();
  const cluster = await Cluster.start({ nodes, runtime, mode: 'dual', prometheus: false });
  try {
    await cluster.waitForLeader(120_000);
    const seconds = (performance.now() - began) / 1000;
    const rssMiB = await Promise.all(
      cluster.nodes.map(async (n) => {
        const text = await (await fetch(`http://${n.state.metrics}/metrics`)).text();
        // prom-client's default metrics under the node's prefix: blixard_process_process_resident_memory_bytes.
        const line = text.split('\n').find((l) => /^blixard_process_\w*resident_memory_bytes[{ ]/.test(l));
        return Number(line?.split(' ').pop() ?? Number.NaN) / (1 << 20);
      }),
    );
    return { seconds, rssMiB };
  } finally {
    await cluster.stop();
  }
}

const warm: Record<Runtime, number[]> = { process: [], docker: [] };
const memory: Record<Runtime, number[]> = { process: [], docker: [] };
await ensureImages(['node', 'hub']);
// Runtimes alternate within each round, so load on the shared machine hits both.
for (let round = 0; round < ROUNDS; round++) {
  for (const runtime of ['process', 'docker'] as const) {
    const r = await startOnce(runtime, 3);
    warm[runtime].push(r.seconds);
    memory[runtime].push(...r.rssMiB);
  }
}

const coldBuild = performance.now();
await ensureImages(['runtime', 'node', 'hub'], { force: true });
const buildSeconds = (performance.now() - coldBuild) / 1000;
const coldStart = await startOnce('docker', 3);
const coldDocker = buildSeconds + coldStart.seconds;

const largest: { nodes: number; ok: boolean; seconds: number; note: string }[] = [];
for (const nodes of SIZES) {
  try {
    const r = await startOnce('docker', nodes);
    largest.push({
      nodes,
      ok: true,
      seconds: r.seconds,
      note: `median RSS ${median(r.rssMiB).toFixed(0)} MiB/node`,
    });
  } catch (err) {
    largest.push({
      nodes,
      ok: false,
      seconds: Number.NaN,
      note: (err as Error).message.split('\n')[0] ?? '',
    });
  }
}

const f = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(1));
const table = new Table({ head: ['figure', 'process', 'docker', 'docker/process', 'goal'] });
const wp = median(warm.process);
const wd = median(warm.docker);
table.push(['3 nodes healthy, warm (s)', f(wp), f(wd), `${(wd / wp).toFixed(2)}×`, 'docker ≤ 2× process']);
table.push([
  '3 nodes healthy, cold (s): runtime/node/hub images rebuilt',
  '—',
  `${f(coldDocker)} (${f(buildSeconds)} build)`,
  '',
  '',
]);
table.push([
  'resident memory per node (MiB, median)',
  f(median(memory.process)),
  f(median(memory.docker)),
  '',
  '',
]);
console.log(
  `\nbench/lab — median of ${ROUNDS} warm start(s) per runtime, dual mode, up to an agreed leader\n`,
);
console.log(table.toString());
console.log('\nlargest docker cluster that came up healthy:');
for (const l of largest)
  console.log(`  ${l.nodes} nodes: ${l.ok ? `healthy in ${f(l.seconds)} s` : 'FAILED'} — ${l.note}`);

const figures: Record<string, number> = {
  warmProcessSeconds: wp,
  warmDockerSeconds: wd,
  coldDockerSeconds: coldDocker,
  imageBuildSeconds: buildSeconds,
  rssMiBProcess: median(memory.process),
  rssMiBDocker: median(memory.docker),
};
for (const l of largest) figures[`docker${l.nodes}NodesHealthySeconds`] = l.seconds;
printBenchJson('lab', figures, [ratioGoal('warm start, docker / process', wd / wp, '≤', 2, '×')]);
