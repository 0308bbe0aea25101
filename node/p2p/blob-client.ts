/**
 * Fetches manifests and chunks from one peer over ALPN blixard/blobs/1: one
 * QUIC connection, reused and redialled once it is gone, a stream per
 * request — so parallel chunk requests share the connection's congestion
 * control instead of each paying a handshake.
 */

import { orAbsent, release, withTimeout } from '../lib/index.ts';
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
   * Binds an endpoint for one dial, as the node's RPC channels do (IrohChannelOptions.dialEndpoint):
   * a serving endpoint would dial back over addresses it learnt from incoming connections, and two
   * endpoints with one node id (the serving one and the RPC dials') confuse a peer's path to it.
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
      () => undefined, // a dial that failed has nothing to close
    );
    this.connection = undefined;
    this.retire();
  }

  /** Closes the last dial's own endpoint (and the connection it still carries). */
  private retire(): void {
    const dialing = this.dialing;
    this.dialing = undefined;
    if (dialing !== undefined && dialing !== this.endpoint) void release(dialing.close());
  }

  private async dialFrom(): Promise<Endpoint> {
    if (this.opts.dialEndpoint === undefined) return this.endpoint;
    this.retire();
    const endpoint = await this.opts.dialEndpoint();
    this.dialing = endpoint;
    return endpoint;
  }

  /**
   * One request, one reply: a single crossing of the binding (Connection.call), the send side
   * finished at once; the binding resets the stream when `timeoutMs` passes.
   */
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
      const dialing = async () => dial(await this.dialFrom(), addr, BLOBS_ALPN);
      const ms = this.opts.connectTimeoutMs;
      return withTimeout(dialing(), ms, () => new Error(`no handshake within ${ms} ms`));
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
