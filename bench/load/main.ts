/**
 * bench/load: `lab load` (open model, Node's gRPC client) beside ghz (Go) on the same RPC, at the same
 * rate, against the same node, through the same client link, in alternating rounds of one run; the
 * p50s must agree within 20 %. ghz measures each call from its actual send (a late sender of its own
 * goes uncounted), so the goal compares `lab load`'s latency from the actual send, round by round
 * (the median of the paired ratios: the shared machine's load drifts between rounds). Its latency from
 * each request's intended send time (what it reports and judges SLOs on) is shown beside it, with how
 * late the generator sent: when it is not behind, the two agree.
 *
 *   node bench/load/main.ts [--quick] [--rate 200] [--seconds 6] [--rounds 5]
 */
import Table from 'cli-table3';
import { loadCluster } from '../../cli/load/index.ts';
import { startTestLab } from '../../cli/run-lab.ts';
import type { Cluster } from '../../lab/runtime/index.ts';
import { runOpenLoop, TIMER_SLACK_MS } from '../../scenarios/load/index.ts';
import { type BenchGoal, median, printBenchJson } from '../lib/index.ts';
import { findGhz, type GhzFigures, runGhz } from './ghz.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const quick = process.argv.includes('--quick');
const RATE = arg('--rate', 200);
const SECONDS = arg('--seconds', quick ? 5 : 6);
const ROUNDS = arg('--rounds', quick ? 1 : 5);
const METHOD = 'ClusterService/HealthCheck';

interface LabFigures {
  p50: number;
  p99: number;
  sentP50: number;
  sentP99: number;
  lagP50: number;
  lagP99: number;
  rps: number;
  errors: number;
}

async function runLab(cluster: Cluster, seconds: number): Promise<LabFigures> {
  const report = await loadCluster(cluster, 'n1', {
    rate: String(RATE),
    duration: `${seconds}s`,
    transport: 'grpc',
    mix: METHOD,
  });
  const t = report.transports.grpc;
  if (!t) throw new Error('lab load gave no gRPC figures');
  return {
    p50: t.latencyMs.p50,
    p99: t.latencyMs.p99,
    sentP50: t.serviceMs.p50,
    sentP99: t.serviceMs.p99,
    lagP50: t.lagMs.p50,
    lagP99: t.lagMs.p99,
    rps: t.achievedRate,
    errors: t.errors,
  };
}

/**
 * The generator's own share, with no server at all (each request answers on the next turn of the
 * event loop): latency from the intended send time when it wakes at the due time (a late timer counts)
 * and when it wakes TIMER_SLACK_MS early.
 */
async function generatorOnly(slackMs: number): Promise<{ p50: number; p99: number; lagP50: number }> {
  const r = await runOpenLoop({
    rate: RATE,
    durationMs: 3000,
    slackMs,
    send: () => new Promise<void>((resolve) => setImmediate(resolve)),
  });
  return { p50: r.latencyMs.p50, p99: r.latencyMs.p99, lagP50: r.lagMs.p50 };
}
const own: Record<'due' | 'early', { p50: number; p99: number; lagP50: number }[]> = { due: [], early: [] };
for (let round = 0; round < ROUNDS; round++) {
  own.due.push(await generatorOnly(0));
  own.early.push(await generatorOnly(TIMER_SLACK_MS));
}

const ghz = await findGhz();
if ('missing' in ghz) console.log(`bench/load: ghz skipped — ${ghz.missing}`);
// gRPC mode: no Iroh endpoint works in the background of the process that runs lab load.
const { cluster, stop } = await startTestLab('bench-load-', 'grpc');
const labRuns: LabFigures[] = [];
const ghzRuns: GhzFigures[] = [];
try {
  const address = cluster.nodes[0]?.addresses.grpc as string;
  const ghzOnce = async (seconds: number) =>
    'bin' in ghz
      ? runGhz(ghz.bin, {
          address,
          method: `blixard.${METHOD}`,
          rate: RATE,
          seconds,
          concurrency: 50,
        })
      : undefined;
  // Warm both clients and the node (JIT, connections) before anything is measured.
  await runLab(cluster, 2);
  await ghzOnce(2);
  // Alternate, and swap who goes first each round, so the shared machine's load hits both.
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['lab', 'ghz'] : ['ghz', 'lab'];
    for (const tool of order) {
      process.stderr.write(`bench/load: round ${round + 1}/${ROUNDS}, ${tool}, ${RATE}/s for ${SECONDS} s\n`);
      if (tool === 'lab') labRuns.push(await runLab(cluster, SECONDS));
      else {
        const g = await ghzOnce(SECONDS);
        if (g) ghzRuns.push(g);
      }
    }
  }
} finally {
  await stop();
}

const med = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : median([...xs]));
const lab = (k: keyof LabFigures) => med(labRuns.map((r) => r[k]));
const gz = (k: keyof GhzFigures) => med(ghzRuns.map((r) => r[k]));
const f = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(2));
const table = new Table({ head: ['tool', 'p50 ms', 'p99 ms', 'answers/s', 'errors', 'note'] });
table.push([
  'lab load',
  f(lab('p50')),
  f(lab('p99')),
  f(lab('rps')),
  String(lab('errors')),
  'from the intended send time',
]);
table.push([
  'lab load',
  f(lab('sentP50')),
  f(lab('sentP99')),
  '',
  '',
  `from the actual send (generator lag p50 ${f(lab('lagP50'))} ms, p99 ${f(lab('lagP99'))} ms)`,
]);
table.push(['ghz', f(gz('p50')), f(gz('p99')), f(gz('rps')), String(gz('errors')), 'from the actual send']);
/** Per round, lab load's p50 over ghz's, by one of lab load's two measures. */
const paired = (k: 'p50' | 'sentP50') =>
  labRuns.slice(0, ghzRuns.length).map((r, i) => r[k] / (ghzRuns[i]?.p50 ?? Number.NaN));
const ratio = med(paired('sentP50'));
const ratioIntended = med(paired('p50'));
const rounds = new Table({
  head: [
    'round',
    'lab load p50 (intended)',
    'lab load p50 (sent)',
    'ghz p50',
    'sent / ghz',
    'intended / ghz',
  ],
});
labRuns.slice(0, ghzRuns.length).forEach((r, i) => {
  const g = ghzRuns[i]?.p50 ?? Number.NaN;
  rounds.push([String(i + 1), f(r.p50), f(r.sentP50), f(g), `${f(r.sentP50 / g)}×`, `${f(r.p50 / g)}×`]);
});
const ownMed = (k: 'due' | 'early', f: 'p50' | 'p99' | 'lagP50') => med(own[k].map((r) => r[f]));
const ownTable = new Table({ head: ['generator wakes', 'p50 ms', 'p99 ms', 'send lag p50 ms'] });
ownTable.push([
  'at the due time',
  f(ownMed('due', 'p50')),
  f(ownMed('due', 'p99')),
  f(ownMed('due', 'lagP50')),
]);
ownTable.push([
  `${TIMER_SLACK_MS} ms early (lab load)`,
  f(ownMed('early', 'p50')),
  f(ownMed('early', 'p99')),
  f(ownMed('early', 'lagP50')),
]);
console.log(
  `\nthe generator alone at ${RATE}/s (no server: each request answers on the next event-loop turn)\n`,
);
console.log(ownTable.toString());
console.log(
  `\nbench/load — ${METHOD} over gRPC at ${RATE}/s for ${SECONDS} s, median of ${ROUNDS} round(s) per tool, one node (process runtime, gRPC mode) through its client link\n`,
);
console.log(table.toString());
console.log(rounds.toString());
console.log(
  `\np50 lab load / ghz, median of the rounds' ratios: ${f(ratio)}× from the actual send (as ghz measures); ${f(ratioIntended)}× from the intended send time`,
);

const goals: BenchGoal[] = Number.isNaN(ratio)
  ? []
  : [
      {
        name: 'p50 within 20% of ghz',
        goal: '0.8× ≤ lab load p50 (from the actual send) / ghz p50 ≤ 1.2×',
        value: Number(ratio.toFixed(4)),
        met: ratio >= 0.8 && ratio <= 1.2,
      },
    ];
printBenchJson(
  'load',
  {
    rate: RATE,
    seconds: SECONDS,
    rounds: ROUNDS,
    labP50Ms: lab('p50'),
    labP99Ms: lab('p99'),
    labSentP50Ms: lab('sentP50'),
    labSentP99Ms: lab('sentP99'),
    labLagP50Ms: lab('lagP50'),
    labLagP99Ms: lab('lagP99'),
    labRps: lab('rps'),
    ghzP50Ms: gz('p50'),
    ghzP99Ms: gz('p99'),
    ghzRps: gz('rps'),
    p50Ratio: ratio,
    p50RatioFromIntended: ratioIntended,
    generatorAloneP50MsWakingAtDue: ownMed('due', 'p50'),
    generatorAloneP50MsWakingEarly: ownMed('early', 'p50'),
    ghz: 'bin' in ghz ? ghz.bin : ghz.missing,
  },
  goals,
);
