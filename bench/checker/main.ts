/**
 * bench/checker: the lab's linearizability checker beside Porcupine (v1.3.1, built by `make setup`
 * into .tools/bin/porcupine-check) on the same register histories, in one run:
 *
 * - agreement: seeded histories from a simulated register (concurrent clients, ops of unknown
 *   outcome that take effect late or never), half of them mutated into (mostly) invalid ones; every
 *   verdict compared, and any disagreement's history printed. A history Porcupine cannot decide in
 *   its time limit is given to it again without the open writes nobody observed (the register
 *   model's pruning, sound by construction), and counted as agreed only if it then agrees;
 * - speed: valid histories of 1k, 10k and 100k ops over 10 keys (and 10k ops on one key), each
 *   checker's own check time (parsing excluded) and their ratio; Porcupine also on one core, and on
 *   the history the lab's search sees (without the open writes nobody observed).
 *
 * Ends with one line `BENCH_JSON {...}`: the figures and each goal as {name, goal, value, met}.
 *
 *   node bench/checker/main.ts [--quick] [--histories N] [--seed N]
 *   PORCUPINE_CHECK=/path/to/porcupine-check overrides the binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { seededRandom } from '../../node/lib/index.ts';
import {
  checkOperations,
  mutateRegister,
  partitionByKey,
  type RegisterOp,
  registerModel,
  simulateRegister,
  type Validity,
} from '../../scenarios/checkers/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const argValue = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`bench/checker: ${name} takes a whole number, not '${args[i + 1] ?? ''}'`);
    process.exit(2);
  }
  return v;
};
const HISTORIES = argValue('--histories', 1000);
const SEED = argValue('--seed', 1);
/** The timed histories: 10 keys at each size (the goals), and one key of 10k ops (one partition, no goal). */
const SHAPES = [
  { ops: 1_000, keys: 10 },
  { ops: 10_000, keys: 10 },
  ...(quick ? [] : [{ ops: 100_000, keys: 10 }]),
  { ops: 10_000, keys: 1 },
];
const REPEATS = quick ? 1 : 3;
/** Porcupine's limit per history: one it cannot decide in this time is unknown (and so is ours past its step budget). */
const PORCUPINE_TIMEOUT_S = 20;

const porcupine = process.env.PORCUPINE_CHECK ?? join(root, '.tools', 'bin', 'porcupine-check');
if (!existsSync(porcupine)) {
  console.error(
    `bench/checker: ${porcupine} is missing; \`make setup\` builds it (scripts/setup-porcupine.sh)`,
  );
  process.exit(1);
}

interface PorcupineLine {
  index: number;
  valid: 'true' | 'false' | 'unknown';
  ms: number;
  ops: number;
}

/** The ops as porcupine-check reads them (an open op's ret is null). */
function wire(ops: readonly RegisterOp[]) {
  return {
    ops: ops.map((o) => ({
      process: o.process,
      key: o.key,
      input: o.input,
      output: o.output ?? null,
      call: o.call,
      ret: o.ret === Number.POSITIVE_INFINITY ? null : o.ret,
    })),
  };
}

function runPorcupine(histories: readonly RegisterOp[][], env: NodeJS.ProcessEnv = {}): PorcupineLine[] {
  const r = spawnSync(porcupine, ['-timeout', `${PORCUPINE_TIMEOUT_S}s`], {
    input: JSON.stringify({ histories: histories.map(wire) }),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`porcupine-check exited ${r.status}: ${r.stderr || r.error?.message}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as PorcupineLine);
}

function runLab(ops: readonly RegisterOp[]): { valid: Validity; ms: number } {
  const start = performance.now();
  const result = checkOperations(registerModel, ops, { counterexample: false });
  return { valid: result.valid, ms: performance.now() - start };
}

const asText = (v: Validity) => String(v) as 'true' | 'false' | 'unknown';
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

// --- agreement -------------------------------------------------------------------------------------
const shapes = seededRandom(SEED, 'bench-checker', 'shapes');
const histories: { ops: RegisterOp[]; change?: string }[] = [];
for (let i = 0; i < HISTORIES; i++) {
  const ops = simulateRegister({
    seed: SEED * 1_000_003 + i,
    ops: 20 + Math.floor(shapes() * 280),
    keys: 1 + Math.floor(shapes() * 3),
    processes: 2 + Math.floor(shapes() * 6),
    infoRate: shapes() * 0.05,
  });
  if (i % 2 === 1) {
    const m = mutateRegister(ops, seededRandom(SEED, 'bench-checker', 'mutate', String(i)));
    histories.push({ ops: m.ops, change: m.change });
  } else histories.push({ ops });
}
process.stdout.write(`agreement: ${histories.length} histories (half mutated) … `);
const theirs = runPorcupine(histories.map((h) => h.ops));
let agreed = 0;
let agreedPruned = 0;
let invalid = 0;
let labUnknown = 0;
let porcupineUnknown = 0;
const disagreements: string[] = [];
const undecided: number[] = [];
const verdicts = histories.map((h) => asText(runLab(h.ops).valid));
const report = (i: number, ours: string, ref: string | undefined) =>
  `history ${i} (${histories[i]?.change ?? 'valid as simulated'}): lab ${ours}, porcupine ${ref}`;
verdicts.forEach((ours, i) => {
  const ref = theirs[i]?.valid;
  if (ours === 'false') invalid++;
  if (ours === 'unknown') labUnknown++;
  if (ref === 'unknown') porcupineUnknown++;
  if (ours === ref) agreed++;
  else if (ours !== 'unknown' && ref !== 'unknown')
    disagreements.push(`${report(i, ours, ref)}\n${JSON.stringify(wire(histories[i]?.ops ?? []))}`);
  else undecided.push(i);
});
// A history Porcupine cannot decide in time is given to it again without the open writes nobody
// observed (the register model's pruning, which keeps a history linearizable iff it was).
const pruned = (ops: RegisterOp[]) =>
  partitionByKey(ops).flatMap((part) => registerModel.prune?.(part) ?? part);
const retried =
  undecided.length > 0 ? runPorcupine(undecided.map((i) => pruned(histories[i]?.ops ?? []))) : [];
undecided.forEach((i, j) => {
  const ours = verdicts[i] as string;
  const ref = retried[j]?.valid;
  if (ours === ref) agreedPruned++;
  else if (ours !== 'unknown' && ref !== 'unknown')
    disagreements.push(`${report(i, ours, ref)} (pruned)\n${JSON.stringify(wire(histories[i]?.ops ?? []))}`);
  console.log(
    `undecided by one checker: ${report(i, ours, theirs[i]?.valid)}; Porcupine on the pruned history: ${ref}`,
  );
});
console.log(
  `${agreed} agree (${invalid} found invalid by the lab), ${agreedPruned} more once pruned for Porcupine, ${disagreements.length} disagree; undecided: lab ${labUnknown}, Porcupine ${porcupineUnknown} (in ${PORCUPINE_TIMEOUT_S} s)`,
);
for (const d of disagreements) console.log(`DISAGREEMENT ${d}`);

// --- speed -----------------------------------------------------------------------------------------
interface SizeRow {
  ops: number;
  keys: number;
  processes: number;
  open: number;
  labMs: number;
  porcupineMs: number;
  porcupineOneCoreMs: number;
  porcupinePrunedMs: number;
  ratio: number;
  labValid: string;
  porcupineValid: string;
}
const rows: SizeRow[] = [];
for (const { ops: size, keys } of SHAPES) {
  const shape = { ops: size, keys, processes: 8, infoRate: 0.02 };
  const ops = simulateRegister({ seed: SEED, ...shape });
  const labRuns: { valid: Validity; ms: number }[] = [];
  for (let r = 0; r < REPEATS; r++) labRuns.push(runLab(ops));
  const batch = Array.from({ length: REPEATS }, () => ops);
  const ref = runPorcupine(batch);
  const refOne = runPorcupine(batch, { GOMAXPROCS: '1' });
  // The same input the lab's search sees: without the open writes nobody observed.
  const refPruned = runPorcupine(Array.from({ length: REPEATS }, () => pruned(ops)));
  const labMs = median(labRuns.map((r) => r.ms));
  const porcupineMs = median(ref.map((r) => r.ms));
  rows.push({
    ops: size,
    keys: shape.keys,
    processes: shape.processes,
    open: ops.filter((o) => o.ret === Number.POSITIVE_INFINITY).length,
    labMs,
    porcupineMs,
    porcupineOneCoreMs: median(refOne.map((r) => r.ms)),
    porcupinePrunedMs: median(refPruned.map((r) => r.ms)),
    ratio: labMs / porcupineMs,
    labValid: asText((labRuns[0] as { valid: Validity }).valid),
    porcupineValid: ref[0]?.valid ?? '?',
  });
}

const table = new Table({
  head: [
    'ops',
    'keys × clients',
    'open ops',
    'lab (ms)',
    'Porcupine (ms)',
    'Porcupine 1 core (ms)',
    'Porcupine, pruned (ms)',
    'lab / Porcupine',
    'verdicts',
  ],
});
for (const r of rows)
  table.push([
    r.ops,
    `${r.keys} × ${r.processes}`,
    r.open,
    r.labMs.toFixed(1),
    r.porcupineMs.toFixed(1),
    r.porcupineOneCoreMs.toFixed(1),
    r.porcupinePrunedMs.toFixed(1),
    `${r.ratio.toFixed(2)}×`,
    `${r.labValid} / ${r.porcupineValid}`,
  ]);
console.log(`check time, median of ${REPEATS} (each checker's own clock, parsing excluded):`);
console.log(table.toString());

const goals = [
  {
    name: 'agreement',
    goal: '100 % of ≥ 1000 histories',
    value: `${agreed + agreedPruned}/${histories.length}`,
    met: agreed + agreedPruned === histories.length && histories.length >= 1000,
  },
  ...rows
    .filter((r) => r.keys === 10)
    .map((r) => ({
      name: `ratio-${r.ops}`,
      goal: 'lab within 2× of Porcupine',
      value: Number(r.ratio.toFixed(3)),
      met: r.ratio <= 2 && r.labValid === r.porcupineValid,
    })),
];
const big = rows.find((r) => r.ops === 100_000 && r.keys === 10);
if (big)
  goals.push({
    name: 'time-100k',
    goal: '100k ops in under 10 s',
    value: Math.round(big.labMs),
    met: big.labMs < 10_000,
  });
for (const g of goals)
  console.log(`${g.met ? 'met    ' : 'NOT MET'} ${g.name}: ${g.value} (goal: ${g.goal})`);
console.log(
  `BENCH_JSON ${JSON.stringify({
    bench: 'checker',
    seed: SEED,
    agreement: {
      histories: histories.length,
      agreed,
      agreedPruned,
      invalid,
      porcupineUnknown,
      labUnknown,
      disagreements: disagreements.length,
    },
    sizes: rows.map((r) => ({ ...r, labMs: Number(r.labMs.toFixed(2)) })),
    goals,
  })}`,
);
