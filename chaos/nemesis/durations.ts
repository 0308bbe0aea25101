import { z } from 'zod';

/** Durations as incident files write them: `250ms`, `2s`, `1.5s`, `1m`, or a plain number of ms. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`'${input}' is not a duration`);
    return input;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(input);
  if (!m) throw new Error(`'${input}' is not a duration (use e.g. 500ms, 2s, 1m)`);
  const value = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(unit === 'ms' ? value : unit === 's' ? value * 1000 : value * 60_000);
}

/** A duration field of an incident file (`2s`, `500ms`, or ms), as ms; a bad one names itself. */
export const DurationSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
