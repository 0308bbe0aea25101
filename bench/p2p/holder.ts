/**
 * A blob holder for bench/p2p in its own process (so serving and fetching do
 * not share an event loop): imports random bytes at a given chunk size into a
 * temporary store and serves it over blixard/blobs/1.
 *
 *   node bench/p2p/holder.ts <chunkBytes> <sizeBytes>
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServer, ImageStore } from '../../node/p2p/index.ts';
import { BLOBS_ALPN, bindIrohEndpoint, boundAddress, IrohHost } from '../../node/transport/index.ts';

const chunkBytes = Number(process.argv[2] ?? 1 << 20);
const size = Number(process.argv[3] ?? 64 << 20);
const dir = await mkdtemp(join(tmpdir(), 'bench-p2p-holder-'));
const store = await ImageStore.open(dir);
const m = await store.importBytes(randomBytes(size), chunkBytes);
const endpoint = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0', alpns: [BLOBS_ALPN] });
const host = new IrohHost(endpoint).add(new BlobServer(store));
host.start();
console.log(JSON.stringify({ irohId: endpoint.id().toString(), iroh: boundAddress(endpoint), hash: m.hash }));

process.once('SIGTERM', () => {
  void host.stop().finally(() => rm(dir, { recursive: true, force: true }).finally(() => process.exit(0)));
});
