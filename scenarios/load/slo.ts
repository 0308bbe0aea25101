/**
 * Service-level thresholds for a load run, as `--slo 'p99<50ms,errors<1%'` spells them: a latency
 * percentile under a duration, or the error share under a percentage. Pure: parsed, then judged.
 */

export type Threshold =
  | { kind: 'latency'; percentile: number; belowMs: number; text: string }
  | { kind: 'errors'; belowShare: number; text: string };

export interface LoadFigures {
  sent: number;
  errors: number;
  /** Latency at a percentile (0–100), in ms, from the intended send time. */
  percentileMs: (p: number) => number;
}

export interface Breach {
  threshold: string;
  value: string;
}

export function parseSlo(text: string): Threshold[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(parseOne);
}

function parseOne(part: string): Threshold {
  const latency = /^p(\d+(?:\.\d+)?)\s*<\s*(\d+(?:\.\d+)?)\s*(us|ms|s)$/.exec(part);
  if (latency) {
    const percentile = Number(latency[1]);
    if (percentile <= 0 || percentile > 100)
      throw new Error(`--slo '${part}': the percentile must be in (0, 100]`);
    const unit = latency[3] === 'us' ? 0.001 : latency[3] === 'ms' ? 1 : 1000;
    return { kind: 'latency', percentile, belowMs: Number(latency[2]) * unit, text: part };
  }
  const errors = /^errors\s*<\s*(\d+(?:\.\d+)?)\s*%$/.exec(part);
  if (errors) return { kind: 'errors', belowShare: Number(errors[1]) / 100, text: part };
  throw new Error(`--slo '${part}': expected pNN<duration (e.g. p99<50ms) or errors<N% (e.g. errors<1%)`);
}

/** The thresholds a run broke (none: the run meets its SLO). A run that sent nothing breaks them all. */
export function judge(thresholds: readonly Threshold[], figures: LoadFigures): Breach[] {
  const breaches: Breach[] = [];
  for (const t of thresholds) {
    if (figures.sent === 0) {
      breaches.push({ threshold: t.text, value: 'no request was sent' });
    } else if (t.kind === 'latency') {
      const ms = figures.percentileMs(t.percentile);
      if (!(ms < t.belowMs))
        breaches.push({ threshold: t.text, value: `p${t.percentile} = ${ms.toFixed(3)} ms` });
    } else {
      const share = figures.errors / figures.sent;
      if (!(share < t.belowShare))
        breaches.push({
          threshold: t.text,
          value: `errors = ${(share * 100).toFixed(2)} % (${figures.errors} of ${figures.sent})`,
        });
    }
  }
  return breaches;
}
