/**
 * Three real node processes share and fetch images: over blixard/blobs/1 from
 * the holder, a chunk corrupted on the holder's disk is caught and fetched
 * from another holder, a fetch cut by a SIGKILL of the fetching node resumes
 * from the chunks on its disk, and the gRPC path returns the same bytes
 * inline, range by range.
 */

import { randomBytes } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../testing/index.ts';
import { Code } from '../transport/index.ts';
import { decodeManifest, sha256Hex } from './manifest.ts';

const LIVENESS_MS = 60_000;
/** Per-test budget: a loaded two-core machine moves blobs slowly (the binding's cost). */
const TEST_MS = 240_000;
const MiB = 1024 * 1024;

describe('p2p images across three nodes', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3, mode: 'dual', preferIroh: ['p2p'] });
  }, TEST_MS);
  afterAll(() => cluster?.stop());

  /** The leader all three nodes name (bounded by the cluster's liveness bound, naming what they said). */
  const untilLeader = (): Promise<string> =>
    cluster.agreedLeader(['n1', 'n2', 'n3'], { timeoutMs: LIVENESS_MS });

  const client = async (id: string, transport: 'grpc' | 'iroh' = 'grpc') =>
    (await cluster.clients(id, transport)).cluster;

  async function holdersOf(via: string, name: string): Promise<string[]> {
    const list = await (await client(via)).listP2pImages({}, { timeoutMs: 5000 });
    return list.images.find((i) => i.name === name)?.holders ?? [];
  }

  async function untilHolders(via: string, name: string, expected: string[]): Promise<void> {
    await expect.poll(() => holdersOf(via, name), { timeout: LIVENESS_MS, interval: 200 }).toEqual(expected);
  }

  /** Shares `size` random bytes on n1 as image `name`; returns its hash. */
  async function shareRandom(name: string, size: number): Promise<string> {
    const data = randomBytes(size);
    const { hash } = await (await client('n1')).shareVmImage(
      { imageName: name, data },
      { timeoutMs: 20_000 },
    );
    return hash;
  }

  /** Where node `id` keeps a complete image. */
  const imageFile = (id: string, hash: string) => join(cluster.spec(id).dataDir, 'images', `${hash}.img`);

  async function metric(id: string, name: string, labels: string): Promise<number> {
    const text = await fetch(`http://127.0.0.1:${cluster.spec(id).metricsPort}/metrics`).then((r) =>
      r.text(),
    );
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it(
    'an image shared on one node is fetched by another over blobs, and served inline over gRPC',
    async () => {
      await untilLeader();
      const data = randomBytes(5 * MiB + 1234);
      const shared = await (await client('n1')).shareVmImage(
        { imageName: 'alpine', version: '3.20', data },
        { timeoutMs: 20_000 },
      );
      expect(shared.hash).toBe(sha256Hex(data));
      await untilHolders('n2', 'alpine', ['n1']);

      const got = await (await client('n2', 'iroh')).getVmImage(
        { imageName: 'alpine' },
        { timeoutMs: LIVENESS_MS },
      );
      expect(got.fetchedFrom).toBe('n1');
      expect(got.hash).toBe(shared.hash);
      expect(sha256Hex(await readFile(got.localPath))).toBe(shared.hash);
      await untilHolders('n3', 'alpine', ['n1', 'n2']);
      expect(await metric('n2', 'blixard_blob_bytes_total', 'direction="received"')).toBe(data.length);
      expect(await metric('n1', 'blixard_blob_chunks_total', 'outcome="served"')).toBe(6);

      // Now local on n2: inline, range by range, over gRPC.
      const parts: Uint8Array[] = [];
      for (let offset = 0; offset < data.length; offset += 2 * MiB) {
        const r = await (await client('n2', 'grpc')).getVmImage(
          { imageName: 'alpine', inline: true, offset: BigInt(offset), length: BigInt(2 * MiB) },
          { timeoutMs: 20_000 },
        );
        expect(r.fetchedFrom).toBe('');
        parts.push(r.data);
      }
      expect(Buffer.concat(parts).equals(data)).toBe(true);
    },
    TEST_MS,
  );

  it(
    'a chunk corrupted on a holder’s disk is rejected and fetched from another holder',
    async () => {
      const hash = await shareRandom('debian', 4 * MiB);
      await untilHolders('n2', 'debian', ['n1']);
      await (await client('n2')).getVmImage({ imageName: 'debian' }, { timeoutMs: LIVENESS_MS });
      await untilHolders('n3', 'debian', ['n1', 'n2']);

      // Flip bytes in chunks 0 and 2 of n1's copy: the plan asks n1 for even chunks first.
      const file = imageFile('n1', hash);
      const fd = await open(file, 'r+');
      await fd.write(Buffer.from('corrupt!'), 0, 8, 100);
      await fd.write(Buffer.from('corrupt!'), 0, 8, 2 * MiB + 5);
      await fd.close();

      const got = await (await client('n3')).getVmImage({ imageName: 'debian' }, { timeoutMs: LIVENESS_MS });
      expect(got.message).toMatch(/2 rejected/);
      expect(sha256Hex(await readFile(got.localPath))).toBe(hash);
      expect(await metric('n3', 'blixard_blob_chunks_total', 'outcome="rejected"')).toBe(2);
    },
    TEST_MS,
  );

  it(
    'an image whose only holder has a corrupt chunk is refused, never served wrong',
    async () => {
      const hash = await shareRandom('broken', 2 * MiB);
      await untilHolders('n3', 'broken', ['n1']);
      const file = imageFile('n1', hash);
      const bytes = await readFile(file);
      bytes[MiB + 7] = (bytes[MiB + 7] as number) ^ 0xff;
      await writeFile(file, bytes);
      await expect(
        (await client('n3')).getVmImage({ imageName: 'broken' }, { timeoutMs: LIVENESS_MS }),
      ).rejects.toThrow(/1 had no holder left/);
    },
    TEST_MS,
  );

  it(
    'a fetch cut by killing the fetching node resumes from the chunks on its disk',
    async () => {
      const path = join(cluster.spec('n1').dataDir, 'big.img');
      const data = randomBytes(40 * MiB);
      await writeFile(path, data);
      const { hash } = await (await client('n1')).shareVmImage(
        { imageName: 'big', imagePath: path },
        { timeoutMs: 30_000 },
      );
      await untilHolders('n3', 'big', ['n1']);

      // The counter also holds the chunks of earlier tests' fetches.
      const before = await metric('n3', 'blixard_blob_chunks_total', 'outcome="fetched"');
      const pending = (await client('n3'))
        .getVmImage({ imageName: 'big' }, { timeoutMs: LIVENESS_MS })
        .catch((e: Error) => e);
      await expect
        .poll(() => metric('n3', 'blixard_blob_chunks_total', 'outcome="fetched"'), {
          timeout: LIVENESS_MS,
          interval: 50,
        })
        .toBeGreaterThanOrEqual(before + 6);
      await cluster.kill('n3', 'SIGKILL');
      expect(await pending).toBeInstanceOf(Error);

      // The partial image holds verified chunks; the fetch after the restart keeps them.
      const partial = join(cluster.spec('n3').dataDir, 'images', 'partial');
      const manifest = decodeManifest(await readFile(join(partial, `${hash}.json`)));
      expect(manifest.chunks).toHaveLength(40);

      cluster.restart('n3');
      let message = '';
      await expect
        .poll(
          async () => {
            const r = await (await client('n3'))
              .getVmImage({ imageName: 'big' }, { timeoutMs: LIVENESS_MS })
              .catch(() => undefined);
            message = r?.message ?? '';
            return r?.hash;
          },
          { timeout: LIVENESS_MS, interval: 500 },
        )
        .toBe(hash);
      const resumed = Number(/(\d+) already on disk/.exec(message)?.[1] ?? '0');
      expect(resumed).toBeGreaterThanOrEqual(6);
      expect(Number(/fetched (\d+) chunks/.exec(message)?.[1])).toBe(40 - resumed);
      expect(sha256Hex(await readFile(imageFile('n3', hash)))).toBe(hash);
    },
    TEST_MS,
  );

  it(
    'GetP2pStatus lists the peers with their Iroh path and RTT',
    async () => {
      const status = await (await client('n2', 'iroh')).getP2pStatus({}, { timeoutMs: 10_000 });
      expect(status.enabled).toBe(true);
      expect(status.peers.map((p) => p.nodeId)).toEqual(['n1', 'n3']);
      const n1 = status.peers.find((p) => p.nodeId === 'n1');
      expect(n1?.connected).toBe(true);
      expect(n1?.path).toMatch(/^direct 127\.0\.0\.1:\d+$/);
      expect(n1?.rttMs).toBeGreaterThanOrEqual(0);
      expect(n1?.bytesReceived).toBeGreaterThan(0n);
    },
    TEST_MS,
  );

  it(
    'unknown images and bad requests get the same codes on both transports',
    async () => {
      for (const transport of ['grpc', 'iroh'] as const) {
        const c = await client('n1', transport);
        await expect(c.getVmImage({ imageName: 'nope' }, { timeoutMs: 5000 })).rejects.toMatchObject({
          code: Code.NOT_FOUND,
        });
        await expect(c.shareVmImage({ imageName: 'x' }, { timeoutMs: 5000 })).rejects.toMatchObject({
          code: Code.INVALID_ARGUMENT,
        });
        await expect(
          c.shareVmImage({ imageName: 'x', imagePath: '/nonexistent/file.img' }, { timeoutMs: 5000 }),
        ).rejects.toMatchObject({ code: Code.NOT_FOUND });
      }
    },
    TEST_MS,
  );
});
