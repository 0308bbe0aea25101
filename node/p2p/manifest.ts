/**
 * The manifest of a content-addressed image: its whole-content hash (sha256,
 * hex — the image's address), its size, the chunk size and the sha256 of each
 * chunk in order. A fetcher checks every chunk against it as it arrives and
 * the whole image against the address at the end, so a manifest from an
 * untrusted peer can cost a failed fetch but never a wrong image.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * 1 MiB. bench/p2p's sweep (256 KiB, 1 MiB, 4 MiB × 1–8 streams) stays within
 * one band, ~2–8 MiB/s, from run to run: the Iroh binding's per-byte cost on
 * the JS thread of both ends decides the rate, not the chunk size. So the
 * size is chosen for what else it costs: a corrupt chunk re-fetches 1 MiB, an
 * interrupted fetch loses at most the chunks in flight, and a chunk in flight
 * holds ~4–8 MiB of JS heap as the binding's number array.
 */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
const HEX64 = /^[0-9a-f]{64}$/;

const ManifestSchema = z.strictObject({
  hash: z.string().regex(HEX64),
  size: z.number().int().min(0),
  chunkSize: z.number().int().min(1),
  chunks: z.array(z.string().regex(HEX64)),
});
export type ImageManifest = z.infer<typeof ManifestSchema>;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function chunkCount(size: number, chunkSize: number): number {
  return size === 0 ? 0 : Math.ceil(size / chunkSize);
}

/** Where chunk `index` lies in the image. */
export function chunkRange(m: ImageManifest, index: number): { offset: number; length: number } {
  if (!Number.isInteger(index) || index < 0 || index >= m.chunks.length) {
    throw new RangeError(`chunk ${index} outside 0..${m.chunks.length - 1}`);
  }
  const offset = index * m.chunkSize;
  return { offset, length: Math.min(m.chunkSize, m.size - offset) };
}

/** Whether `bytes` are exactly chunk `index` of the image. */
export function verifyChunk(m: ImageManifest, index: number, bytes: Uint8Array): boolean {
  const { length } = chunkRange(m, index);
  return bytes.length === length && sha256Hex(bytes) === m.chunks[index];
}

/** Builds a manifest from the image's bytes fed in order, in pieces of any size. */
export class ManifestBuilder {
  readonly chunkSize: number;
  private readonly whole = createHash('sha256');
  private readonly chunks: string[] = [];
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private size = 0;

  constructor(chunkSize = DEFAULT_CHUNK_BYTES) {
    this.chunkSize = chunkSize;
  }

  update(bytes: Uint8Array): void {
    this.whole.update(bytes);
    this.size += bytes.length;
    let rest = bytes;
    while (rest.length > 0) {
      const take = Math.min(rest.length, this.chunkSize - this.pendingBytes);
      this.pending.push(rest.subarray(0, take));
      this.pendingBytes += take;
      rest = rest.subarray(take);
      if (this.pendingBytes === this.chunkSize) this.flush();
    }
  }

  finish(): ImageManifest {
    if (this.pendingBytes > 0) this.flush();
    return {
      hash: this.whole.digest('hex'),
      size: this.size,
      chunkSize: this.chunkSize,
      chunks: this.chunks,
    };
  }

  private flush(): void {
    const h = createHash('sha256');
    for (const p of this.pending) h.update(p);
    this.chunks.push(h.digest('hex'));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

export function buildManifest(bytes: Uint8Array, chunkSize = DEFAULT_CHUNK_BYTES): ImageManifest {
  const b = new ManifestBuilder(chunkSize);
  b.update(bytes);
  return b.finish();
}

export function encodeManifest(m: ImageManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

/** Parses and checks a manifest: well-formed, and its chunk list fits its size. */
export function decodeManifest(bytes: Uint8Array): ImageManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`manifest is not JSON (${bytes.length} bytes)`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid manifest: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  const m = parsed.data;
  if (m.chunks.length !== chunkCount(m.size, m.chunkSize)) {
    throw new Error(
      `invalid manifest: ${m.chunks.length} chunks for ${m.size} bytes in ${m.chunkSize}-byte chunks`,
    );
  }
  return m;
}

export function isContentHash(text: string): boolean {
  return HEX64.test(text);
}
