/**
 * The nightly matrix, planned purely: every incident × seeds (× the modes it applies to: its own), in
 * a fixed order that covers every incident before repeating one, and a budget rule that starts a run
 * only when the time left can hold it (estimated from the runs so far).
 */

export interface MatrixCell {
  incident: string;
  /** The incident file (path as given). */
  file: string;
  seed: number;
  mode: string;
}

/** Seed-major order: seed 1 of every incident, then seed 2 of every incident, … */
export function planMatrix(
  incidents: readonly { name: string; file: string; mode: string }[],
  seeds: readonly number[],
): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const seed of seeds)
    for (const i of incidents) cells.push({ incident: i.name, file: i.file, seed, mode: i.mode });
  return cells;
}

/**
 * Whether a run fits: the longest run so far (or `firstGuessMs` before any) must fit in what is left
 * of the budget. The longest, not the mean: an overrun is worse than a run not started.
 */
export function fits(leftMs: number, doneMs: readonly number[], firstGuessMs: number): boolean {
  const guess = doneMs.length === 0 ? firstGuessMs : Math.max(...doneMs);
  return guess <= leftMs;
}

/** `60m`, `10m`, `90s`, `1h`: milliseconds. */
export function parseBudget(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`budget '${text}': expected a duration such as 60m, 10m or 90s`);
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000);
  if (ms <= 0) throw new Error(`budget '${text}': must be more than 0`);
  return ms;
}
