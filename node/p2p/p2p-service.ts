/**
 * The p2p RPCs — ShareVmImage, GetVmImage, ListP2pImages, GetP2pStatus —
 * over the local store, the replicated image records (who holds what) and
 * blob clients to the holders. Holder records are Raft writes: a follower
 * forwards them to the leader as a ShareVmImage carrying `holder`. The reads
 * of the image catalog (ListP2pImages, GetVmImage's lookup) pass the node's
 * read barrier first: linearizable unless the request asks for LOCAL.
 */
import type { AddressBook, RaftDriver, ReadBarrier } from '../cluster/index.ts';
import { checkName, refusal } from '../cluster/index.ts';
import type { ClusterState } from '../state/index.ts';
import {
  ClusterService,
  Code,
  type Connection,
  createClient,
  type Endpoint,
  type IrohChannel,
  MAX_MESSAGE_BYTES,
  RpcError,
  type ServiceImpl,
} from '../transport/index.ts';
import { BlobClient } from './blob-client.ts';
import { type FetchResult, fetchImage, type Holder } from './image-fetcher.ts';
import type { ImageStore } from './image-store.ts';
import { isContentHash } from './manifest.ts';

export interface P2pServiceDeps {
  nodeId: string;
  store: ImageStore;
  state: ClusterState;
  driver: () => RaftDriver;
  book: AddressBook;
  endpoint: Endpoint | undefined;
  /** Binds an endpoint for one blob dial (the node's identity, a new port); see BlobClientOptions. */
  dialEndpoint?: () => Promise<Endpoint>;
  irohNodeId: string | undefined;
  irohAddrs: string[];
  proposalTimeoutMs: number;
  /** Before every catalog read: a linearizable read point applied here, unless the request asks for LOCAL. */
  read: ReadBarrier;
  fetch: { parallel: number; requestTimeoutMs: number; maxAttemptsPerChunk: number };
  onChunk?: (outcome: 'fetched' | 'resumed' | 'rejected', bytes: number) => void;
  onTransfer?: (outcome: 'ok' | 'failed', seconds: number) => void;
  log?: {
    info: (msg: string, fields?: Record<string, unknown>) => void;
    warn: (msg: string, fields?: Record<string, unknown>) => void;
  };
}

/** Room in a reply for the fields around inline data. */
const INLINE_LIMIT = MAX_MESSAGE_BYTES - 64 * 1024;
const STATUS_DIAL_MS = 1000;

export class P2pService {
  private readonly d: P2pServiceDeps;
  private readonly blobClients = new Map<string, BlobClient>();
  private readonly fetches = new Map<string, Promise<FetchResult>>();

  constructor(deps: P2pServiceDeps) {
    this.d = deps;
  }

  handlers(): Partial<ServiceImpl<typeof ClusterService>> {
    return {
      shareVmImage: async (req, ctx) => {
        checkName('image_name', req.imageName);
        if (req.holder !== '') {
          await this.record(req.imageName, req.version, req.hash, Number(req.size), req.holder, ctx.signal);
          return {
            success: true,
            message: `${req.holder} recorded as holder`,
            hash: req.hash,
            size: req.size,
          };
        }
        const hasPath = req.imagePath !== '';
        const hasData = req.data.length > 0;
        if (hasPath === hasData)
          throw new RpcError(Code.INVALID_ARGUMENT, 'give exactly one of image_path and data');
        let m: Awaited<ReturnType<ImageStore['importFile']>>;
        try {
          m = hasPath
            ? await this.d.store.importFile(req.imagePath)
            : await this.d.store.importBytes(req.data);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') throw new RpcError(Code.NOT_FOUND, `no file at ${req.imagePath}`);
          if (code === 'EISDIR' || code === 'EACCES')
            throw new RpcError(Code.INVALID_ARGUMENT, `cannot read ${req.imagePath}: ${code}`);
          throw err;
        }
        await this.record(req.imageName, req.version, m.hash, m.size, this.d.nodeId, ctx.signal);
        return {
          success: true,
          message: `shared ${req.imageName}: ${m.size} bytes in ${m.chunks.length} chunks`,
          hash: m.hash,
          size: BigInt(m.size),
        };
      },

      getVmImage: async (req, ctx) => {
        if (req.imageName === '' && req.hash === '')
          throw new RpcError(Code.INVALID_ARGUMENT, 'image_name or hash is required');
        // A content hash alone names the image too.
        if (req.imageName !== '') checkName('image_name', req.imageName);
        await this.d.read(req.consistency, ctx.signal);
        const hash = this.resolveHash(req.imageName, req.hash);
        let fetchedFrom = '';
        let message = 'held locally';
        if (!this.d.store.has(hash)) {
          const result = await this.fetchOnce(hash, req.imageName, ctx.signal);
          fetchedFrom = result.from[0] ?? '';
          message = `fetched ${result.fetched} chunks from ${result.from.join(', ') || '-'}, ${result.resumed} already on disk, ${result.rejected} rejected and fetched again`;
        }
        const m = this.d.store.manifest(hash);
        if (!m) throw new RpcError(Code.INTERNAL, `image ${hash.slice(0, 12)} vanished from the store`);
        let data: Uint8Array = new Uint8Array(0);
        if (req.inline) {
          const offset = Number(req.offset);
          const length = req.length === 0n ? m.size - Math.min(offset, m.size) : Number(req.length);
          if (length > INLINE_LIMIT) {
            throw new RpcError(
              Code.RESOURCE_EXHAUSTED,
              `${length} bytes inline is over the ${INLINE_LIMIT}-byte limit; ask for a range (offset, length)`,
            );
          }
          data = await this.d.store.readRange(hash, offset, length);
        }
        return {
          success: true,
          message,
          localPath: this.d.store.imagePath(hash),
          hash,
          size: BigInt(m.size),
          fetchedFrom,
          data,
        };
      },

      listP2pImages: async (req, ctx) => {
        await this.d.read(req.consistency, ctx.signal);
        return {
          images: this.d.state.images().map((i) => ({
            name: i.name,
            version: i.version,
            hash: i.hash,
            size: BigInt(i.size),
            holders: i.holders,
            createdAtMs: BigInt(i.createdAtMs),
          })),
        };
      },

      getP2pStatus: async () => {
        const peers = await Promise.all(this.peerIds().map((id) => this.peerStatus(id)));
        return {
          enabled: this.d.endpoint !== undefined,
          nodeId: this.d.nodeId,
          irohNodeId: this.d.irohNodeId ?? '',
          irohAddrs: this.d.irohAddrs,
          peers,
        };
      },
    };
  }

  /**
   * The local file of the image named `name`, fetched from a holder first if
   * this node lacks it; undefined when no such image is recorded. For the VM
   * manager, which boots from a local disk image.
   */
  async ensureImage(name: string, signal: AbortSignal): Promise<string | undefined> {
    const record = this.d.state.image(name);
    if (!record) return undefined;
    if (!this.d.store.has(record.hash)) await this.fetchOnce(record.hash, name, signal);
    return this.d.store.imagePath(record.hash);
  }

  close(): void {
    for (const c of this.blobClients.values()) c.close();
  }

  private resolveHash(name: string, hash: string): string {
    if (hash !== '' && !isContentHash(hash))
      throw new RpcError(Code.INVALID_ARGUMENT, 'hash must be 64 hex digits (sha256)');
    const record = name ? this.d.state.image(name) : undefined;
    if (hash !== '') {
      if (this.d.store.has(hash) || record?.hash === hash || this.holdersOfHash(hash).length > 0) return hash;
      throw new RpcError(Code.NOT_FOUND, `no image with hash ${hash.slice(0, 12)}`);
    }
    if (!name) throw new RpcError(Code.INVALID_ARGUMENT, 'image_name or hash is required');
    if (!record) throw new RpcError(Code.NOT_FOUND, `image '${name}' not found`);
    return record.hash;
  }

  private holdersOfHash(hash: string): string[] {
    return this.d.state.images().find((i) => i.hash === hash)?.holders ?? [];
  }

  /** One fetch per image at a time: concurrent callers share it. */
  private fetchOnce(hash: string, name: string, signal: AbortSignal): Promise<FetchResult> {
    let running = this.fetches.get(hash);
    if (!running) {
      running = this.fetch(hash, name).finally(() => this.fetches.delete(hash));
      this.fetches.set(hash, running);
    }
    return untilAborted(running, signal);
  }

  private async fetch(hash: string, name: string): Promise<FetchResult> {
    const endpoint = this.d.endpoint;
    if (!endpoint)
      throw new RpcError(
        Code.UNAVAILABLE,
        'fetching an image from a peer needs Iroh (this node runs gRPC only)',
      );
    const holders: Holder[] = [];
    for (const id of this.holdersOfHash(hash)) {
      if (id === this.d.nodeId) continue;
      const client = this.blobClient(id, endpoint);
      if (client) holders.push({ id, client });
    }
    const started = performance.now();
    try {
      const result = await fetchImage(this.d.store, hash, holders, {
        ...this.d.fetch,
        onChunk: (outcome, bytes) => this.d.onChunk?.(outcome, bytes),
      });
      this.d.onTransfer?.('ok', (performance.now() - started) / 1000);
      this.d.log?.info('image fetched', {
        hash: hash.slice(0, 12),
        from: result.from,
        fetched: result.fetched,
        resumed: result.resumed,
        rejected: result.rejected,
      });
      const record = this.d.state.images().find((i) => i.hash === hash);
      const recordName = record?.name ?? name;
      // Being a holder is worth recording, but the image is here either way.
      await this.record(
        recordName,
        record?.version ?? '',
        hash,
        result.manifest.size,
        this.d.nodeId,
        undefined,
      ).catch((err: unknown) =>
        this.d.log?.warn('could not record this node as holder', {
          hash: hash.slice(0, 12),
          error: (err as Error).message,
        }),
      );
      return result;
    } catch (err) {
      this.d.onTransfer?.('failed', (performance.now() - started) / 1000);
      throw err;
    }
  }

  private blobClient(peer: string, endpoint: Endpoint): BlobClient | undefined {
    let client = this.blobClients.get(peer);
    if (!client) {
      const iroh = this.d.book.target(peer)?.iroh;
      if (!iroh) return undefined;
      client = new BlobClient(endpoint, iroh, {
        connectTimeoutMs: 2000,
        ...(this.d.dialEndpoint && { dialEndpoint: this.d.dialEndpoint }),
      });
      this.blobClients.set(peer, client);
    }
    return client;
  }

  /** Records `holder` for an image through Raft: proposed here on the leader, else forwarded to it. */
  private async record(
    name: string,
    version: string,
    hash: string,
    size: number,
    holder: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (!name || !isContentHash(hash))
      throw new RpcError(Code.INVALID_ARGUMENT, 'a holder record needs image_name and a sha256 hash');
    const driver = this.d.driver();
    if (driver.isLeader) {
      const committed = await driver.propose(
        { type: 'image.add', name, version, hash, size, holder, atMs: Date.now() },
        this.d.proposalTimeoutMs,
      );
      if (!committed.result.ok) throw new RpcError(Code[committed.result.code], committed.result.message);
      return;
    }
    const leader = driver.leaderId;
    if (!leader) throw refusal('no leader known to record the image holder');
    const channel = this.d.book.channel(leader);
    if (!channel) throw refusal(`leader is ${leader}, whose address this node does not know`);
    await createClient(ClusterService, channel).shareVmImage(
      { imageName: name, version, holder, hash, size: BigInt(size) },
      { timeoutMs: this.d.proposalTimeoutMs * 2, ...(signal ? { signal } : {}) },
    );
  }

  private peerIds(): string[] {
    const ids = new Set(this.d.book.configuredIds());
    for (const m of this.d.state.members()) ids.add(m.id);
    ids.delete(this.d.nodeId);
    return [...ids].sort();
  }

  private async peerStatus(id: string) {
    const target = this.d.book.target(id);
    const conns: Connection[] = [];
    if (this.d.endpoint && target?.iroh) {
      const routed = this.d.book.channel(id);
      const rpc = routed
        ? await withTimeout((routed.channel('iroh') as IrohChannel).connect(), STATUS_DIAL_MS)
        : undefined;
      if (rpc) conns.push(rpc);
      const blob = await this.blobClients.get(id)?.current();
      if (blob) conns.push(blob);
    }
    const first = conns[0];
    const selected = first?.selectedPath() ?? undefined;
    let sent = 0;
    let received = 0;
    for (const c of conns) {
      const s = c.stats();
      sent += s.udpTxBytes;
      received += s.udpRxBytes;
    }
    return {
      nodeId: id,
      irohNodeId: target?.iroh?.nodeId ?? '',
      transport: target?.iroh ? 'iroh' : 'grpc',
      path: selected ? `${selected.isRelay ? 'relay' : 'direct'} ${selected.remoteAddr}` : '',
      rttMs: first?.rtt() ?? 0,
      connected: first !== undefined,
      bytesSent: BigInt(sent),
      bytesReceived: BigInt(received),
    };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

/** The caller may give up; the shared fetch goes on for the others (and for a later resume). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new RpcError(Code.CANCELLED, 'call cancelled'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new RpcError(Code.CANCELLED, 'call cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
