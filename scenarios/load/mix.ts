/**
 * Which RPC each request of a load run is: a weighted mix (`--mix 'ClusterService/HealthCheck=3,
 * ClusterService/GetClusterStatus=1'`), drawn from a seeded stream so a run's sequence replays.
 */
import { pick, type Random } from '../../node/lib/index.ts';

export interface MixEntry {
  method: string;
  weight: number;
}

export function parseMix(text: string): MixEntry[] {
  const entries = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((part) => {
      const eq = part.lastIndexOf('=');
      const method = eq < 0 ? part : part.slice(0, eq);
      const weight = eq < 0 ? 1 : Number(part.slice(eq + 1));
      if (!method.includes('/')) throw new Error(`--mix '${part}': expected <Service>/<Method>[=weight]`);
      if (!Number.isInteger(weight) || weight < 1)
        throw new Error(`--mix '${part}': the weight must be a whole number ≥ 1`);
      return { method, weight };
    });
  if (entries.length === 0) throw new Error('--mix: no method given');
  return entries;
}

/** A drawer of methods in proportion to their weights. */
export function mixDrawer(entries: readonly MixEntry[], random: Random): () => string {
  const slots = entries.flatMap((e) => Array.from({ length: e.weight }, () => e.method));
  return () => pick(random, slots);
}
