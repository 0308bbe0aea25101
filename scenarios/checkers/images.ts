/**
 * Images are served intact: a pure judge of the image workload's history (`image-share`,
 * `image-get`; scenarios/workloads/image.ts), by hash. Each share records the sha256 of the bytes it
 * sent; each get the sha256 of the bytes it received, their count, and the node's content hash and
 * size. Per image name:
 *
 * - every byte served hashes to what a share of that name sent — one that may have happened (ok or
 *   unknown outcome) and began before the get ended; an image nobody could have shared is never served;
 * - the node's own account agrees with the bytes: the size it names is the number of bytes served,
 *   the hash it names is their sha256, and an acknowledged share named that hash too.
 *
 * What it cannot see: images never fetched back; a get that failed (whether a node lost an image is
 * for the linearizability of the registry, which this does not model); bytes a node holds but did
 * not serve; ranges (the workload fetches whole images inline).
 */
import type { OpRecord } from './history.ts';
import { pairOps } from './history.ts';
import type { CheckResult } from './raft-safety.ts';

interface Served {
  hash?: string;
  size?: number;
  sha256?: string;
  bytes?: number;
  from?: string;
}

const NAME = 'images: served bytes are the bytes shared';

function recordOf(r: OpRecord): Served {
  const v = r.result;
  return v !== null && typeof v === 'object' ? (v as Served) : {};
}

export function checkImages(history: readonly OpRecord[]): CheckResult {
  const pairs = pairOps(history.filter((h) => h.f === 'image-share' || h.f === 'image-get'));
  const shares = new Map<string, { sha256: string; type: string; invoke: number; hash?: string }[]>();
  for (const { invoke, done } of pairs) {
    if (invoke.f !== 'image-share' || done?.type === 'fail') continue;
    // The bytes sent are known before the call: the invoke's value is their sha256.
    const sha256 = invoke.value ?? recordOf(invoke).sha256;
    if (typeof sha256 !== 'string') continue;
    const hash = done?.type === 'ok' ? recordOf(done).hash : undefined;
    const list = shares.get(invoke.key) ?? [];
    list.push({ sha256, type: done?.type ?? 'info', invoke: invoke.time, ...(hash && { hash }) });
    shares.set(invoke.key, list);
  }
  let served = 0;
  for (const { invoke, done } of pairs) {
    if (invoke.f !== 'image-get' || done?.type !== 'ok') continue;
    const got = recordOf(done);
    const bad = (explanation: string): CheckResult => ({
      name: NAME,
      valid: false,
      explanation: `image '${invoke.key}' from ${(done as { node?: string }).node ?? '?'} at ${Math.round(done.time)} ms: ${explanation}`,
      evidence: [
        { get: { id: invoke.id, invoke: invoke.time, done: done.time, ...got } },
        { shares: shares.get(invoke.key) ?? [] },
      ],
    });
    if (typeof got.sha256 !== 'string') return bad('the get recorded no hash of the bytes served');
    const possible = (shares.get(invoke.key) ?? []).filter((s) => s.invoke <= done.time);
    if (possible.length === 0) return bad('served, though no share of that name could have happened before');
    const match = possible.find((s) => s.sha256 === got.sha256);
    if (!match)
      return bad(
        `served bytes with sha256 ${got.sha256.slice(0, 12)}, but the bytes shared hash to ${possible.map((s) => s.sha256.slice(0, 12)).join(', ')}`,
      );
    if (got.bytes !== undefined && got.size !== undefined && got.bytes !== got.size)
      return bad(`the node named ${got.size} bytes and served ${got.bytes}`);
    if (got.hash !== undefined && got.hash !== got.sha256)
      return bad(
        `the node named hash ${got.hash.slice(0, 12)} for bytes that hash to ${got.sha256.slice(0, 12)}`,
      );
    if (match.hash !== undefined && got.hash !== undefined && match.hash !== got.hash)
      return bad(
        `the share was acknowledged as ${match.hash.slice(0, 12)}, the get names ${got.hash.slice(0, 12)}`,
      );
    served++;
  }
  if (served === 0)
    return { name: NAME, valid: 'unknown', explanation: 'no image was fetched back', evidence: [] };
  return {
    name: NAME,
    valid: true,
    explanation: `${served} gets of ${shares.size} shared images: every one served the bytes shared`,
    evidence: [],
  };
}
