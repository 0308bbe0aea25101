/**
 * The fault self-check: before chaos starts, for every link of the hub and every side it carries,
 * prove on the wire that
 *   - traffic flows through it (HealthCheck answers, and an Iroh connection's every path is the link),
 *   - a cut stops it (on the connection already open and on a fresh one),
 *   - an injected delay shows in the measured round trip.
 * A fault that does not take throws a SelfCheckError naming the link and side; it is never a pass.
 * The probes (chaos/probes) dial exactly what the system under test dials.
 */
import type { LinkSide } from '../../hub/links/index.ts';
import type { Cluster } from '../../lab/runtime/index.ts';
import { release, sleep, withTimeout } from '../../node/lib/index.ts';
import {
  answered,
  answers,
  directIrohAddresses,
  fastest,
  type LinkProbe,
  openSourceProbe,
  type ProbeTarget,
  probeTargets,
} from '../probes/index.ts';

export interface ProbeResult {
  link: string;
  side: LinkSide;
  baselineMs: number;
  /** Round trip with the injected delay. */
  delayedMs: number;
  ok: true;
}

export interface SelfCheckReport {
  delayMs: number;
  results: ProbeResult[];
  ms: number;
}

export class SelfCheckError extends Error {
  override name = 'SelfCheckError';
  /** Each link side whose fault did not take, with why. */
  readonly failures: { link: string; side: LinkSide; reason: string }[];
  constructor(failures: { link: string; side: LinkSide; reason: string }[]) {
    super(
      `fault self-check failed: ${failures.length} fault(s) did not take on the wire; the run is aborted:\n${failures
        .map((f) => `  - link ${f.link} (${f.side}): ${f.reason}`)
        .join('\n')}`,
    );
    this.failures = failures;
  }
}

/** The delay the self-check injects on a blixard-rs link (its probe is a process start, not a call). */
export const BLIXARD_PROBE_DELAY_MS = 1000;
/** How often a baseline call (before any fault) is asked before the link counts as carrying nothing. */
const BASELINE_TRIES = 3;

export interface SelfCheckOptions {
  /** The delay injected to see it in the RTT (default 100 ms; 1000 ms on blixard-rs). */
  delayMs?: number;
  /** How long a probe through a cut link waits for an answer that must not come (default 1500 ms). */
  cutWaitMs?: number;
  /** Only these links (default: all). */
  links?: readonly string[];
  /** Probes at once (default 6). */
  concurrency?: number;
  /**
   * How long a probe keeps its connection busy before the cut (default 2000 ms): long enough for
   * Iroh to find and switch to a direct path if one exists, so a bypass shows before chaos starts.
   */
  settleMs?: number;
}

export async function selfCheck(cluster: Cluster, options: SelfCheckOptions = {}): Promise<SelfCheckReport> {
  const started = performance.now();
  // A blixard-rs probe is a CLI process (~1 s, give or take some 400 ms of the host's load): a delay
  // must stand well clear of that spread to show.
  const delayMs = options.delayMs ?? (cluster.sut === 'blixard-rs' ? BLIXARD_PROBE_DELAY_MS : 100);
  const cutWaitMs = options.cutWaitMs ?? 1500;
  const settleMs = options.settleMs ?? 2000;
  const targets = await probeTargets(cluster, options.links);
  const failures: { link: string; side: LinkSide; reason: string }[] = [];
  const results: ProbeResult[] = [];
  try {
    await cluster.links.reset();
    const queue = [...targets];
    const worker = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        try {
          // A probe that hangs is a failure of the check, not a reason to wait forever.
          results.push(
            await withTimeout(probeLink(cluster, t, delayMs, cutWaitMs, settleMs), 90_000, 'the probe'),
          );
        } catch (err) {
          failures.push({ link: t.link, side: t.side, reason: (err as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 6 }, worker));
  } finally {
    // The check's own failures are already collected; a failed reset must not hide them, nor pass silently.
    await cluster.links.reset().catch((err: unknown) => {
      failures.push({
        link: '(all)',
        side: 'tcp',
        reason: `resetting the links afterwards failed: ${(err as Error).message}`,
      });
    });
  }
  if (failures.length > 0) {
    failures.sort((a, b) => a.link.localeCompare(b.link) || a.side.localeCompare(b.side));
    throw new SelfCheckError(failures);
  }
  results.sort((a, b) => a.link.localeCompare(b.link) || a.side.localeCompare(b.side));
  return { delayMs, results, ms: Math.round(performance.now() - started) };
}

async function pathsOf(probe: LinkProbe): Promise<string> {
  const paths = await probe.paths().catch((err: unknown) => [`unknown: ${(err as Error).message}`]);
  return paths ? ` (Iroh paths: ${paths.join(', ') || 'none'})` : '';
}

async function probeLink(
  cluster: Cluster,
  t: ProbeTarget,
  delayMs: number,
  cutWaitMs: number,
  settleMs: number,
): Promise<ProbeResult> {
  const link = await cluster.links.get(t.link, [t.side]);
  const probes: LinkProbe[] = [];
  const open = async () => {
    const p = await openSourceProbe(cluster, t);
    probes.push(p);
    return p;
  };
  try {
    // 1. Traffic flows, and through the hub.
    const existing = await open();
    let baselineMs: number;
    try {
      // Before any fault, a lost call is retried: the baseline shows that traffic flows.
      await answered(existing, BASELINE_TRIES, 5000);
      baselineMs = await fastest(existing, 5, 5000, BASELINE_TRIES);
      const settle = performance.now() + settleMs;
      while (performance.now() < settle) {
        await answered(existing, BASELINE_TRIES, 5000);
        await sleep(100);
      }
    } catch (err) {
      throw new Error(`no answer through ${t.address} before any fault (${(err as Error).message})`);
    }
    const paths = await existing.paths();
    const away = (paths ?? []).filter((p) => p !== existing.dialed);
    if (away.length > 0) {
      throw new Error(
        `the Iroh connection has a direct path to ${away.join(', ')} that bypasses the hub (the link is ${existing.dialed})`,
      );
    }

    // Iroh uses every address it learns for a node: if the source can reach the node's own address
    // around the hub, a fault on the link may not hold even when this connection stayed on it.
    if (t.side === 'udp') {
      for (const direct of await directIrohAddresses(cluster, t.to)) {
        if (await existing.reaches(direct)) {
          throw new Error(
            `${t.from} reaches ${t.to}'s Iroh endpoint directly at ${direct}, around the hub: UDP faults on this link cannot be relied on`,
          );
        }
      }
    }

    // 2. A cut stops it: on the open connection and on a fresh one.
    await link.cut();
    try {
      const still = await answers(existing, cutWaitMs);
      if (still !== undefined)
        throw new Error(
          `a cut did not stop traffic: HealthCheck answered in ${still.toFixed(1)} ms on the open connection to ${t.address}${await pathsOf(existing)}`,
        );
      const fresh = await answers(await open(), cutWaitMs);
      if (fresh !== undefined)
        throw new Error(
          `a cut did not stop traffic: HealthCheck answered in ${fresh.toFixed(1)} ms on a new connection to ${t.address}${await pathsOf(existing)}`,
        );
    } finally {
      await link.heal();
    }

    // 3. A delay shows in the round trip (on a new connection: the old one may still be backing off).
    const after = await open();
    const deadline = performance.now() + 20_000;
    while ((await answers(after, 2000)) === undefined) {
      if (performance.now() > deadline)
        throw new Error(`no answer through ${t.address} after the link healed`);
    }
    const toxic = await link.addToxic(
      { name: 'selfcheck_latency', type: 'latency', attributes: { latency: delayMs } },
      { transports: [t.side] },
    );
    let delayedMs: number;
    try {
      delayedMs = await fastest(after, 3, 5000 + delayMs * 4);
    } finally {
      await release(link.removeToxic(toxic));
    }
    // At least the delay itself, and clearly above the baseline (a baseline inflated by delayed ACKs
    // may partly overlap an injected delay, so the sum is not required). A baseline taken during a
    // burst of load on the machine can itself be slow: the link is then measured again without the
    // toxic, and the faster of the two baselines is the one the delay must clear.
    if (!delayShows(delayedMs, baselineMs, delayMs)) {
      const againMs = await fastest(after, 5, 5000);
      if (!delayShows(delayedMs, Math.min(baselineMs, againMs), delayMs))
        throw new Error(
          `an injected ${delayMs} ms delay did not show: round trip ${delayedMs.toFixed(1)} ms against ${baselineMs.toFixed(1)} ms before and ${againMs.toFixed(1)} ms after`,
        );
      baselineMs = Math.min(baselineMs, againMs);
    }
    return { link: t.link, side: t.side, baselineMs, delayedMs, ok: true };
  } finally {
    await Promise.allSettled(probes.map((p) => p.close()));
  }
}

/** Whether a round trip under an injected delay shows it: at least 0.9 of it, and half of it above the baseline. */
export function delayShows(delayedMs: number, baselineMs: number, delayMs: number): boolean {
  return delayedMs >= 0.9 * delayMs && delayedMs >= baselineMs + 0.5 * delayMs;
}
