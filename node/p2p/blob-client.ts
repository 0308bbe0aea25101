/**
 * Fetches manifests and chunks from one peer over ALPN blixard/blobs/1: one
 * QUIC connection, reused and redialled once it is gone, a stream per
 * request — so parallel chunk requests share the connection's congestion
 * control instead of each paying a handshake.
 */

import {
  BLOBS_ALPN,
  Code,
  type Connection,
  type Endpoint,
  encodeFrame,
  FrameType,
  firstLine,
  IrohDialer,
  type IrohPeerAddress,
  MAX_FRAME_PAYLOAD_BYTES,
  newRequestId,
  parseErrorText,
  parseFrame,
  RpcError,
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
  private readonly dialer: IrohDialer;
  bytesReceived = 0;

  constructor(
    endpoint: Endpoint,
    peer: IrohPeerAddress,
    opts: BlobClientOptions = { connectTimeoutMs: 2000 },
  ) {
    this.peer = peer;
    this.dialer = new IrohDialer(endpoint, peer, {
      alpn: BLOBS_ALPN,
      connectTimeoutMs: opts.connectTimeoutMs,
      dialEndpoint: opts.dialEndpoint,
      connectError: (reason) =>
        new RpcError(Code.UNAVAILABLE, `blobs connect to ${peer.nodeId.slice(0, 10)}: ${reason}`),
    });
  }

  /** The current connection if one is open, for status (RTT, paths, bytes); never dials. */
  current(): Promise<Connection | undefined> {
    return this.dialer.current();
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
    void this.dialer.close();
  }

  /**
   * One request, one reply: a single crossing of the binding (Connection.call), the send side
   * finished at once; the binding resets the stream when `timeoutMs` passes.
   */
  private async request(req: BlobRequest, timeoutMs: number): Promise<Uint8Array> {
    const conn = await this.dialer.connect();
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
      this.dialer.drop(conn, '');
      throw err instanceof RpcError ? err : new RpcError(Code.UNAVAILABLE, firstLine(err));
    }
  }
}
