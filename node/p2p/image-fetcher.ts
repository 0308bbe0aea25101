/**
 * Fetches an image into the store from the peers that hold it: the manifest
 * from the first holder that has it, then the chunks this node lacks — the
 * ones already on disk from an interrupted fetch are kept — over a few
 * parallel streams, each chunk verified against the manifest before it is
 * written, and the whole image against its address at the end.
 */
import { Code, RpcError } from '../transport/index.ts';
import type { BlobClient } from './blob-client.ts';
import { ChunkPlan } from './chunk-plan.ts';
import type { ImageStore } from './image-store.ts';
import { type ImageManifest, verifyChunk } from './manifest.ts';

export interface Holder {
  id: string;
  client: BlobClient;
}

export interface FetchOptions {
  /** Chunk requests in flight at once, over all holders. */
  parallel: number;
  requestTimeoutMs: number;
  maxAttemptsPerChunk: number;
  signal?: AbortSignal;
  onChunk?: (outcome: 'fetched' | 'resumed' | 'rejected', bytes: number, holder: string) => void;
}

export interface FetchResult {
  manifest: ImageManifest;
  fetched: number;
  resumed: number;
  rejected: number;
  /** The holders chunks came from, most first. */
  from: string[];
}

export async function fetchImage(
  store: ImageStore,
  hash: string,
  holders: readonly Holder[],
  opts: FetchOptions,
): Promise<FetchResult> {
  if (holders.length === 0)
    throw new RpcError(Code.UNAVAILABLE, `no reachable holder of image ${hash.slice(0, 12)}`);
  const manifest = await firstManifest(hash, holders, opts);
  const partial = await store.openPartial(manifest);
  let completed = false;
  try {
    const present = await partial.presentChunks();
    for (const _ of present) opts.onChunk?.('resumed', 0, '');
    const missing = manifest.chunks.map((_, i) => i).filter((i) => !present.has(i));
    const byId = new Map(holders.map((h) => [h.id, h]));
    const plan = new ChunkPlan(missing, [...byId.keys()], opts.maxAttemptsPerChunk);
    const counts = new Map<string, number>();
    let rejected = 0;
    const worker = async () => {
      // Bounded: the plan hands out at most missing × maxAttempts tasks.
      for (let task = plan.next(); task; task = plan.next()) {
        if (opts.signal?.aborted) {
          plan.failed(task);
          return;
        }
        const holder = byId.get(task.holder) as Holder;
        let bytes: Uint8Array;
        try {
          bytes = await holder.client.chunk(hash, task.index, opts.requestTimeoutMs);
        } catch {
          plan.failed(task);
          continue;
        }
        if (!verifyChunk(manifest, task.index, bytes)) {
          rejected += 1;
          opts.onChunk?.('rejected', bytes.length, task.holder);
          plan.rejected(task);
          continue;
        }
        await partial.writeChunk(task.index, bytes);
        counts.set(task.holder, (counts.get(task.holder) ?? 0) + 1);
        opts.onChunk?.('fetched', bytes.length, task.holder);
        plan.succeeded(task);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.parallel) }, worker));
    if (opts.signal?.aborted)
      throw new RpcError(Code.CANCELLED, 'image fetch cancelled; chunks so far are kept');
    if (plan.done.size < missing.length) {
      throw new RpcError(
        plan.givenUp.size > 0 ? Code.UNAVAILABLE : Code.ABORTED,
        `fetched ${plan.done.size + present.size} of ${manifest.chunks.length} chunks of ${hash.slice(0, 12)}; ` +
          `${plan.givenUp.size} had no holder left that answered with a verified copy (kept for resume)`,
      );
    }
    await partial.complete();
    completed = true;
    const from = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    return { manifest, fetched: missing.length, resumed: present.size, rejected, from };
  } finally {
    if (!completed) await partial.close();
  }
}

async function firstManifest(
  hash: string,
  holders: readonly Holder[],
  opts: FetchOptions,
): Promise<ImageManifest> {
  const errors: string[] = [];
  for (const h of holders) {
    try {
      const m = await h.client.manifest(hash, opts.requestTimeoutMs);
      if (m.hash !== hash) {
        errors.push(`${h.id}: manifest for another image`);
        continue;
      }
      return m;
    } catch (err) {
      errors.push(`${h.id}: ${(err as Error).message}`);
    }
  }
  throw new RpcError(
    Code.UNAVAILABLE,
    `no holder sent the manifest of ${hash.slice(0, 12)}: ${errors.join('; ')}`,
  );
}
