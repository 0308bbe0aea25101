/**
 * The last line of every benchmark's output: `BENCH_JSON {…}` with its figures and, for each goal,
 * `{ name, goal, value, met }`, for a machine to read where a person reads the tables above it.
 */
export interface BenchGoal {
  name: string;
  /** The rule, e.g. "≥ 0.9× gRPC". */
  goal: string;
  value: number;
  met: boolean;
}

export function printBenchJson(
  bench: string,
  figures: Record<string, unknown>,
  goals: BenchGoal[] = [],
): void {
  const finite = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
  const line = JSON.stringify({ bench, figures, goals }, (_key, value) => finite(value));
  process.stdout.write(`BENCH_JSON ${line}\n`);
}

/** A goal on one figure: `value` against `limit` by `op`. */
export function ratioGoal(
  name: string,
  value: number,
  op: '≥' | '>' | '≤' | '<',
  limit: number,
  unit = '',
): BenchGoal {
  const met =
    op === '≥' ? value >= limit : op === '>' ? value > limit : op === '≤' ? value <= limit : value < limit;
  return {
    name,
    goal: `${op} ${limit}${unit}`,
    value: Number.isFinite(value) ? Number(value.toFixed(4)) : value,
    met,
  };
}
