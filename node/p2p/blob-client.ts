/**
 * Fetches manifests and chunks from one peer over ALPN blixard/blobs/1: one
 * QUIC connection, reused and redialled once it is gone, a stream per
 * request — so parallel chunk requests share the connection's congestion
 * control instead of each paying a handshake.
 */

import { orAbsent, release } from '../lib/index.ts';
import {
  BLOBS_ALPN,
  Code,
  type Connection,
  dial,
  type Endpoint,
  encodeFrame,
  FrameType,
  firstLine,
  type IrohPeerAddress,
  MAX_FRAME_PAYLOAD_BYTES,
  newRequestId,
  parseErrorText,
  parseFrame,
  RpcError,
  toEndpointAddr,
} from '../transport/index.ts';
import { type BlobRequest, encodeBlobRequest } from './blob-wire.ts';
import { decodeManifest, type ImageManifest } from './manifest.ts';

export interface BlobClientOptions {
  connectTimeoutMs: number;
  /**
   * Binds an endpoint for one dial (the node's identity, a new port), closed when the next dial
   * replaces it or the client closes: the serving endpoint learns, from every incoming connection,
   * an address of the caller that is only the far end of one of its dials (another endpoint with
   * the same identity, which accepts nothing) and may dial over it until QUIC gives up.
   */
  dialEndpoint?: () => Promise<Endpoint>;
}

export class BlobClient {
  readonly peer: IrohPeerAddress;
  private readonly endpoint: Endpoint;
  private readonly opts: BlobClientOptions;
  private connection: Promise<Connection> | undefined;
  /** The endpoint of the current dial, when each dial binds its own. */
  private dialing: Endpoint | undefined;
  bytesReceived = 0;

  constructor(
    endpoint: Endpoint,
    peer: IrohPeerAddress,
    opts: BlobClientOptions = { connectTimeoutMs: 2000 },
  ) {
    this.endpoint = endpoint;
    this.peer = peer;
    this.opts = opts;
  }

  /** The current connection if one is open, for status (RTT, paths, bytes); never dials. */
  async current(): Promise<Connection | undefined> {
    const conn = this.connection && (await orAbsent(this.connection));
    return conn && conn.closeReason() === null ? conn : undefined;
  }

  async manifest(hash: string, timeoutMs: number): Promise<ImageManifest> {
    const bytes = await this.request({ op: 'manifest', hash }, timeoutMs);
    try {
      return decodeManifest(bytes);
    } catch (err) {
      throw new RpcError(Code.DATA_LOSS, `manifest from peer: ${(err as Error).message}`);
    }
  }

  chunk(hash: string, index: number, timeoutMs: number): Promise<Uint8Array> {
    return this.request({ op: 'chunk', hash, index }, timeoutMs);
  }

  close(): void {
    void this.connection?.then(
      (c) => c.close(0, ''),
      () => {},
    );
    this.connection = undefined;
    this.retire(this.dialing);
    this.dialing = undefined;
  }

  /** The endpoint this dial goes out from: the shared one, or a new one replacing the last dial's. */
  private async dialFrom(): Promise<Endpoint> {
    const bind = this.opts.dialEndpoint;
    if (bind === undefined) return this.endpoint;
    this.retire(this.dialing);
    this.dialing = undefined;
    const endpoint = await bind();
    this.retire(this.dialing);
    this.dialing = endpoint;
    return endpoint;
  }

  private retire(endpoint: Endpoint | undefined): void {
    if (endpoint !== undefined && endpoint !== this.endpoint) void release(endpoint.close());
  }

  /** One request, one reply: a single crossing of the binding (Connection.call), finished at once. */
  private async request(req: BlobRequest, timeoutMs: number): Promise<Uint8Array> {
    const conn = await this.connect();
    try {
      const request = encodeFrame(FrameType.Request, newRequestId(), encodeBlobRequest(req));
      const reply = await conn
        .call(request, MAX_FRAME_PAYLOAD_BYTES, timeoutMs, undefined, true)
        .catch((err: unknown) => {
          if (err instanceof Error && err.message === 'deadline exceeded')
            throw new RpcError(Code.DEADLINE_EXCEEDED, `blob ${req.op} took over ${timeoutMs} ms`);
          throw err;
        });
      const frame = parseFrame(reply);
      if (frame === undefined) throw new RpcError(Code.UNAVAILABLE, 'blob stream ended without a reply');
      if (frame.type === FrameType.Error) throw parseErrorText(new TextDecoder().decode(frame.payload));
      if (frame.type !== FrameType.Response)
        throw new RpcError(Code.INTERNAL, `unexpected frame type ${frame.type}`);
      this.bytesReceived += frame.payload.length;
      return frame.payload;
    } catch (err) {
      if (err instanceof RpcError && err.code !== Code.DEADLINE_EXCEEDED && err.code !== Code.UNAVAILABLE)
        throw err;
      // No answer: the connection may be dead while QUIC still holds it; dial afresh next time.
      this.drop(conn);
      throw err instanceof RpcError ? err : new RpcError(Code.UNAVAILABLE, firstLine(err));
    }
  }

  private drop(conn: Connection): void {
    const current = this.connection;
    void current?.then(
      (c) => {
        if (c === conn && this.connection === current) {
          this.connection = undefined;
          c.close(0, '');
        }
      },
      () => {},
    );
  }

  private connect(): Promise<Connection> {
    const existing = this.connection;
    if (existing) {
      return existing.then(
        (c) => (c.closeReason() === null ? c : this.dial(existing)),
        () => this.dial(existing),
      );
    }
    return this.dial(undefined);
  }

  private dial(previous: Promise<Connection> | undefined): Promise<Connection> {
    if (this.connection !== previous && this.connection !== undefined) return this.connection;
    const attempt = (async () => {
      const addr = await toEndpointAddr(this.peer);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no handshake within ${this.opts.connectTimeoutMs} ms`)),
          this.opts.connectTimeoutMs,
        );
      });
      try {
        const from = await Promise.race([this.dialFrom(), expired]);
        return await Promise.race([dial(from, addr, BLOBS_ALPN), expired]);
      } finally {
        clearTimeout(timer);
      }
    })().catch((err: unknown) => {
      if (this.connection === attempt) this.connection = undefined;
      throw new RpcError(
        Code.UNAVAILABLE,
        `blobs connect to ${this.peer.nodeId.slice(0, 10)}: ${firstLine(err)}`,
      );
    });
    this.connection = attempt;
    return attempt;
  }
}
