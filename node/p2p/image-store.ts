/**
 * The node's content-addressed image store under `<data_dir>/images`:
 *
 *   <hash>.img, <hash>.json           complete images and their manifests
 *   partial/<hash>.img, <hash>.json   fetches in progress (chunks at their offsets)
 *
 * An image is one file (what a VM backend wants as a disk) with chunk
 * boundaries given by its manifest; serving a chunk is a positional read. A
 * partial image survives a crash: on resume each chunk range is re-hashed and
 * only those that do not match are fetched again. An image becomes complete
 * by a rename, after its whole hash matched its address.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { release } from '../lib/index.ts';
import {
  chunkRange,
  DEFAULT_CHUNK_BYTES,
  decodeManifest,
  encodeManifest,
  type ImageManifest,
  isContentHash,
  ManifestBuilder,
  verifyChunk,
} from './manifest.ts';

export class ImageStore {
  readonly dir: string;
  private readonly complete = new Map<string, ImageManifest>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async open(dir: string): Promise<ImageStore> {
    await mkdir(join(dir, 'partial'), { recursive: true });
    const store = new ImageStore(dir);
    for (const name of await readdir(dir)) {
      const hash = name.endsWith('.json') ? name.slice(0, -5) : '';
      if (!isContentHash(hash)) continue;
      try {
        store.complete.set(hash, decodeManifest(await readFile(join(dir, name))));
      } catch {
        // A manifest that does not parse is as good as absent: the image is fetched again.
      }
    }
    return store;
  }

  has(hash: string): boolean {
    return this.complete.has(hash);
  }

  manifest(hash: string): ImageManifest | undefined {
    return this.complete.get(hash);
  }

  list(): ImageManifest[] {
    return [...this.complete.values()];
  }

  imagePath(hash: string): string {
    return join(this.dir, `${hash}.img`);
  }

  manifestPath(hash: string): string {
    return join(this.dir, `${hash}.json`);
  }

  partialPath(hash: string): string {
    return join(this.dir, 'partial', `${hash}.img`);
  }

  /** Copies a file on this node into the store, hashing it on the way. */
  async importFile(path: string, chunkSize = DEFAULT_CHUNK_BYTES): Promise<ImageManifest> {
    const builder = new ManifestBuilder(chunkSize);
    const tmp = join(
      this.dir,
      'partial',
      `import-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    );
    const out = await open(tmp, 'w');
    try {
      for await (const piece of createReadStream(path, { highWaterMark: chunkSize })) {
        const bytes = piece as Buffer;
        builder.update(bytes);
        await out.write(bytes);
      }
      await out.sync();
    } catch (err) {
      await out.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await out.close();
    return this.adopt(tmp, builder.finish());
  }

  async importBytes(data: Uint8Array, chunkSize = DEFAULT_CHUNK_BYTES): Promise<ImageManifest> {
    const builder = new ManifestBuilder(chunkSize);
    builder.update(data);
    const tmp = join(
      this.dir,
      'partial',
      `import-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    );
    await writeFile(tmp, data);
    return this.adopt(tmp, builder.finish());
  }

  /** Bytes of a complete image; `length` 0 reads to the end. */
  async readRange(hash: string, offset: number, length: number): Promise<Uint8Array> {
    const m = this.complete.get(hash);
    if (!m) throw new Error(`image ${hash.slice(0, 12)} not in the store`);
    const start = Math.min(offset, m.size);
    const n = length === 0 ? m.size - start : Math.min(length, m.size - start);
    const buf = Buffer.alloc(n);
    const fd = await open(this.imagePath(hash), 'r');
    try {
      let done = 0;
      // Bounded: each read advances or the loop ends (a file shorter than its manifest).
      while (done < n) {
        const { bytesRead } = await fd.read(buf, done, n - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === n ? buf : buf.subarray(0, done);
    } finally {
      await fd.close();
    }
  }

  /** Chunk `index` as stored: not verified here — the fetcher checks what it receives. */
  readChunk(hash: string, index: number): Promise<Uint8Array> {
    const m = this.complete.get(hash);
    if (!m) return Promise.reject(new Error(`image ${hash.slice(0, 12)} not in the store`));
    const { offset, length } = chunkRange(m, index);
    return this.readRange(hash, offset, length);
  }

  /** Opens (or resumes) a fetch of the image `m` describes. */
  async openPartial(m: ImageManifest): Promise<PartialImage> {
    const json = join(this.dir, 'partial', `${m.hash}.json`);
    await writeFile(json, encodeManifest(m));
    const fd = await open(this.partialPath(m.hash), 'a+').then(async (f) => {
      await f.close();
      return open(this.partialPath(m.hash), 'r+');
    });
    await fd.truncate(m.size);
    return new PartialImage(this, m, fd, json);
  }

  /** Moves a verified file into place as the complete image `m`. */
  async adopt(file: string, m: ImageManifest): Promise<ImageManifest> {
    await rename(file, this.imagePath(m.hash));
    const tmp = `${this.manifestPath(m.hash)}.tmp`;
    await writeFile(tmp, encodeManifest(m));
    await rename(tmp, this.manifestPath(m.hash));
    this.complete.set(m.hash, m);
    return m;
  }
}

export class PartialImage {
  readonly manifest: ImageManifest;
  private readonly store: ImageStore;
  private readonly fd: Awaited<ReturnType<typeof open>>;
  private readonly json: string;

  constructor(store: ImageStore, m: ImageManifest, fd: Awaited<ReturnType<typeof open>>, json: string) {
    this.store = store;
    this.manifest = m;
    this.fd = fd;
    this.json = json;
  }

  /** Indices of the chunks already on disk and intact (re-hashed: a crash may have cut a write). */
  async presentChunks(): Promise<Set<number>> {
    const present = new Set<number>();
    const m = this.manifest;
    const buf = Buffer.alloc(m.chunkSize);
    for (let i = 0; i < m.chunks.length; i++) {
      const { offset, length } = chunkRange(m, i);
      const { bytesRead } = await this.fd.read(buf, 0, length, offset);
      if (bytesRead === length && verifyChunk(m, i, buf.subarray(0, length))) present.add(i);
    }
    return present;
  }

  async writeChunk(index: number, bytes: Uint8Array): Promise<void> {
    const { offset } = chunkRange(this.manifest, index);
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fd.write(bytes, done, bytes.length - done, offset + done);
      done += bytesWritten;
    }
  }

  /** Checks the whole image against its address and moves it into the store. */
  async complete(): Promise<ImageManifest> {
    await this.fd.sync();
    await this.fd.close();
    const path = this.store.partialPath(this.manifest.hash);
    const h = createHash('sha256');
    for await (const piece of createReadStream(path)) h.update(piece as Buffer);
    const actual = h.digest('hex');
    if (actual !== this.manifest.hash) {
      await rm(path, { force: true });
      await rm(this.json, { force: true });
      throw new Error(
        `assembled image hashes to ${actual.slice(0, 12)}, not ${this.manifest.hash.slice(0, 12)}`,
      );
    }
    const m = await this.store.adopt(path, this.manifest);
    await rm(this.json, { force: true });
    return m;
  }

  /** Leaves the partial image on disk for a later resume. */
  async close(): Promise<void> {
    await release(this.fd.close());
  }
}
