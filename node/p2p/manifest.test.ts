import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildManifest,
  chunkRange,
  decodeManifest,
  encodeManifest,
  ManifestBuilder,
  sha256Hex,
  verifyChunk,
} from './manifest.ts';

describe('image manifest', () => {
  it('splits into chunks whose hashes and ranges cover the image', () => {
    const data = randomBytes(10_000);
    const m = buildManifest(data, 4096);
    expect(m.size).toBe(10_000);
    expect(m.hash).toBe(sha256Hex(data));
    expect(m.chunks).toHaveLength(3);
    expect(chunkRange(m, 2)).toEqual({ offset: 8192, length: 10_000 - 8192 });
    for (let i = 0; i < 3; i++) {
      const { offset, length } = chunkRange(m, i);
      expect(verifyChunk(m, i, data.subarray(offset, offset + length))).toBe(true);
    }
  });

  it('rejects a corrupt, short or misplaced chunk', () => {
    const data = randomBytes(9000);
    const m = buildManifest(data, 4096);
    const chunk = Buffer.from(data.subarray(0, 4096));
    chunk[100] = (chunk[100] as number) ^ 0xff;
    expect(verifyChunk(m, 0, chunk)).toBe(false);
    expect(verifyChunk(m, 0, data.subarray(0, 4095))).toBe(false);
    expect(verifyChunk(m, 1, data.subarray(0, 4096))).toBe(false);
    expect(() => chunkRange(m, 3)).toThrow(RangeError);
  });

  it('the same manifest however the bytes are fed', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 1024 }),
        (data, cuts, chunkSize) => {
          const b = new ManifestBuilder(chunkSize);
          let at = 0;
          for (let i = 0; at < data.length; i++) {
            const n = cuts[i % cuts.length] as number;
            b.update(data.subarray(at, at + n));
            at += n;
          }
          expect(b.finish()).toEqual(buildManifest(data, chunkSize));
        },
      ),
    );
  });

  it('an empty image has no chunks', () => {
    const m = buildManifest(new Uint8Array(0));
    expect(m.chunks).toEqual([]);
    expect(m.size).toBe(0);
  });

  it('round-trips and refuses inconsistent manifests', () => {
    const m = buildManifest(randomBytes(5000), 1024);
    expect(decodeManifest(encodeManifest(m))).toEqual(m);
    expect(() => decodeManifest(encodeManifest({ ...m, chunks: m.chunks.slice(1) }))).toThrow(/5000 bytes/);
    expect(() => decodeManifest(encodeManifest({ ...m, hash: 'zz' }))).toThrow(/hash/);
    expect(() => decodeManifest(new TextEncoder().encode('{'))).toThrow(/not JSON/);
  });
});
