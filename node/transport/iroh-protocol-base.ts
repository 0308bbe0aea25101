/**
 * Shared accept loop for a stream-per-request protocol over Iroh: accepts bi
 * streams until the connection closes, each served on its own, none able to
 * take down the others or the node.
 *
 * With stream limits, a peer also cannot hold the port: each connection
 * serves `maxStreamsPerConnection` concurrent streams (also its QUIC stream
 * limit, so further streams mostly wait at the peer), each peer
 * `maxStreamsPerPeer` across its connections; a stream over either limit is
 * refused at once. A request frame must arrive whole within
 * `requestReadTimeoutMs`.
 *
 * A stream that misses the read deadline is answered and no longer counted,
 * but the binding cannot stop its receive side while a read is pending (the
 * read holds the stream's lock), so QUIC keeps it open until the peer sends,
 * resets or finishes. Until then the connection's QUIC limit is raised by one
 * for it, so its stalled streams do not use up the credit of later calls; a
 * connection with more stalled streams than its limit is closed.
 */

import { release } from '../lib/index.ts';
import type { Frame } from './frame.ts';
import { CloseCode, type IrohProtocol } from './iroh-host.ts';
import { FrameReader } from './iroh-stream.ts';
import type { BiStream, Connection } from './native-iroh.ts';
import { Code, RpcError } from './status.ts';

export type StreamLimitKind = 'peer' | 'connection' | 'stalled_connection';

export interface IrohStreamLimits {
  /**
   * The whole request frame must arrive within this many ms of the stream's
   * arrival, plus as much again for each whole MiB its header declares.
   */
  requestReadTimeoutMs: number;
  /** Concurrent streams one connection may have open (its QUIC stream limit). */
  maxStreamsPerConnection: number;
  /** Concurrent streams one peer (node id) may have in service over all its connections. */
  maxStreamsPerPeer: number;
  onRequestReadTimeout?: (peer: string) => void;
  /**
   * `peer`, `connection`: a stream refused (RESOURCE_EXHAUSTED) because its peer
   * or its connection was at its limit; `stalled_connection`: a connection
   * closed for holding more stalled streams than its limit.
   */
  onStreamLimited?: (limit: StreamLimitKind, peer: string) => void;
}

export const DEFAULT_STREAM_LIMITS: IrohStreamLimits = {
  requestReadTimeoutMs: 5000,
  maxStreamsPerConnection: 100,
  maxStreamsPerPeer: 200,
};

/** QUIC application error code for a stream this side stopped reading. */
export const STREAM_REFUSED_CODE = 429;
export const STALLED_REASON = 'too many stalled streams';
const MIB = 1024 * 1024;
/** Most streams taken from the binding in one accept. */
const ACCEPT_BATCH = 64;

interface ConnectionState {
  /** Streams in service (not yet answered). */
  active: number;
  /** Streams past the read deadline that the peer still holds open. */
  stalled: number;
}

export abstract class IrohProtocolBase implements IrohProtocol {
  abstract readonly alpn: string;
  private readonly stopping = new AbortController();
  protected readonly limits: IrohStreamLimits | undefined;
  private readonly connections = new Map<Connection, ConnectionState>();
  private readonly perPeer = new Map<string, number>();

  constructor(limits?: IrohStreamLimits) {
    this.limits = limits;
  }

  protected get shutdown(): AbortSignal {
    return this.stopping.signal;
  }

  /** Streams in service now, over all connections. */
  get streamsInService(): number {
    let n = 0;
    for (const count of this.perPeer.values()) n += count;
    return n;
  }

  handle(conn: Connection, remoteId: string): void {
    void this.acceptStreams(conn, remoteId);
  }

  /** Aborts every call in flight (the node is stopping). */
  stop(): void {
    this.stopping.abort();
  }

  protected abstract serveStream(bi: BiStream, conn: Connection, remoteId: string): Promise<void>;

  /** Tells the peer a stream was refused (its peer is at its limit); the default just resets it. */
  protected async refuseStream(bi: BiStream, _message: string): Promise<void> {
    await release(bi.send.reset(STREAM_REFUSED_CODE));
    await release(bi.recv.stop(STREAM_REFUSED_CODE));
  }

  /**
   * Reads the stream's request frame within the read deadline; past it, throws
   * DEADLINE_EXCEEDED and lets the stream go (see the file comment). A large
   * request gets one more read deadline for each whole MiB its header declares,
   * so a slow link can still carry a message at the size limit.
   */
  protected readRequest(bi: BiStream, conn: Connection, remoteId: string): Promise<Frame | undefined> {
    const limits = this.limits;
    if (limits === undefined) return new FrameReader(bi.recv).next();
    const started = performance.now();
    let allowedMs = limits.requestReadTimeoutMs;
    return new Promise((resolve, reject) => {
      const expire = () => {
        reject(
          new RpcError(
            Code.DEADLINE_EXCEEDED,
            `no complete request frame within ${allowedMs} ms (request read deadline)`,
          ),
        );
        limits.onRequestReadTimeout?.(remoteId);
        this.holdStalled(bi, conn, remoteId, reading);
      };
      let timer = setTimeout(expire, allowedMs);
      const reading = new FrameReader(bi.recv).next((header) => {
        const mib = Math.floor(header.length / MIB);
        if (mib === 0) return;
        allowedMs = limits.requestReadTimeoutMs * (1 + mib);
        clearTimeout(timer);
        timer = setTimeout(expire, Math.max(0, started + allowedMs - performance.now()));
      });
      reading.then(
        (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private holdStalled(bi: BiStream, conn: Connection, remoteId: string, reading: Promise<unknown>): void {
    const limits = this.limits;
    const state = this.connections.get(conn);
    if (limits === undefined || state === undefined) return;
    state.stalled += 1;
    if (state.stalled > limits.maxStreamsPerConnection) {
      limits.onStreamLimited?.('stalled_connection', remoteId);
      conn.close(CloseCode.TooManyStalledStreams, STALLED_REASON);
    } else {
      setStreamLimit(conn, limits.maxStreamsPerConnection + state.stalled);
    }
    const readOver = () => {
      // The read is over, so the stream's lock is free: nothing more is wanted from the peer.
      void release(bi.recv.stop(STREAM_REFUSED_CODE));
      state.stalled -= 1;
      setStreamLimit(conn, limits.maxStreamsPerConnection + state.stalled);
    };
    reading.then(readOver, readOver);
  }

  private async acceptStreams(conn: Connection, remoteId: string): Promise<void> {
    const limits = this.limits;
    const state: ConnectionState = { active: 0, stalled: 0 };
    this.connections.set(conn, state);
    if (limits !== undefined) setStreamLimit(conn, limits.maxStreamsPerConnection);
    try {
      for (;;) {
        let streams: BiStream[];
        try {
          // Under load one crossing of the binding brings every stream already waiting.
          streams = await conn.acceptBis(ACCEPT_BATCH);
        } catch {
          return; // connection closed
        }
        for (const bi of streams) this.admitStream(bi, conn, remoteId, state);
      }
    } finally {
      this.connections.delete(conn);
    }
  }

  /** Serves one accepted stream, or refuses it at once when its peer or connection is at its limit. */
  private admitStream(bi: BiStream, conn: Connection, remoteId: string, state: ConnectionState): void {
    const limits = this.limits;
    const peerActive = this.perPeer.get(remoteId) ?? 0;
    const refusal = limits === undefined ? undefined : overLimit(limits, state.active, peerActive);
    if (limits !== undefined && refusal !== undefined) {
      limits.onStreamLimited?.(refusal.limit, remoteId);
      void release(this.refuseStream(bi, refusal.message));
      return;
    }
    state.active += 1;
    this.perPeer.set(remoteId, peerActive + 1);
    void this.serveStream(bi, conn, remoteId)
      .catch(() => {
        // serveStream reports its own failures to the peer; a throw here means the peer is gone.
      })
      .finally(() => {
        state.active -= 1;
        const left = (this.perPeer.get(remoteId) ?? 1) - 1;
        if (left === 0) this.perPeer.delete(remoteId);
        else this.perPeer.set(remoteId, left);
      });
  }
}

function overLimit(
  limits: IrohStreamLimits,
  onConnection: number,
  ofPeer: number,
): { limit: StreamLimitKind; message: string } | undefined {
  if (ofPeer >= limits.maxStreamsPerPeer) {
    return {
      limit: 'peer',
      message: `too many concurrent streams from this peer (limit ${limits.maxStreamsPerPeer})`,
    };
  }
  // QUIC holds a connection to its stream limit, but not the credit granted in the handshake.
  if (onConnection >= limits.maxStreamsPerConnection) {
    return {
      limit: 'connection',
      message: `too many concurrent streams on this connection (limit ${limits.maxStreamsPerConnection})`,
    };
  }
  return undefined;
}

function setStreamLimit(conn: Connection, count: number): void {
  if (conn.closeReason() !== null) return;
  try {
    conn.setMaxConcurrentBiStreams(count);
  } catch {
    // The connection closed meanwhile.
  }
}
