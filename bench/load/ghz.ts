/**
 * ghz (github.com/bojand/ghz, Go), the outside gRPC load tool `lab load` is checked against: found
 * where `scripts/setup-ghz.sh` puts it (or $GHZ), run at a fixed rate through the server's
 * reflection, and its JSON summary read into the figures bench/load compares.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../lab/runtime/index.ts';

const run = promisify(execFile);

export interface GhzFigures {
  p50: number;
  p99: number;
  /** Answers per second. */
  rps: number;
  count: number;
  /** Answers other than OK. */
  errors: number;
}

/** The ghz binary, or why there is none. */
export async function findGhz(): Promise<{ bin: string } | { missing: string }> {
  const bin = process.env.GHZ ?? join(REPO_ROOT, '.tools', 'bin', 'ghz');
  try {
    await access(bin, constants.X_OK);
    return { bin };
  } catch {
    return { missing: `no ghz at ${bin} (build it with scripts/setup-ghz.sh, or set GHZ=/path/to/ghz)` };
  }
}

/** ghz's `--format json` summary: latencies in nanoseconds, a percentile list, status counts. */
export function parseGhzJson(text: string): GhzFigures {
  const j = JSON.parse(text) as {
    count?: number;
    rps?: number;
    latencyDistribution?: { percentage: number; latency: number }[] | null;
    statusCodeDistribution?: Record<string, number> | null;
  };
  const at = (p: number) => {
    const d = j.latencyDistribution?.find((x) => x.percentage === p);
    if (!d) throw new Error(`ghz output has no p${p} (was any call answered?)`);
    return d.latency / 1e6;
  };
  const codes = j.statusCodeDistribution ?? {};
  const count = j.count ?? 0;
  return { p50: at(50), p99: at(99), rps: j.rps ?? 0, count, errors: count - (codes.OK ?? 0) };
}

/** `rate` calls per second of `method` (`package.Service/Method`, empty request) for `seconds`. */
export async function runGhz(
  bin: string,
  o: { address: string; method: string; rate: number; seconds: number; concurrency: number },
): Promise<GhzFigures> {
  const { stdout } = await run(
    bin,
    [
      '--insecure',
      '--call',
      o.method,
      '--rps',
      String(o.rate),
      '-n',
      String(o.rate * o.seconds),
      // Enough workers that the rate, not the workers, sets the pace (as an open model would).
      '-c',
      String(o.concurrency),
      '--connections',
      '1',
      '-d',
      '{}',
      '--format',
      'json',
      o.address,
    ],
    { maxBuffer: 64 << 20 },
  );
  return parseGhzJson(stdout);
}
