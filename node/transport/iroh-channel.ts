/**
 * An RpcChannel over Iroh to one peer: one QUIC connection, reused, with a
 * bidirectional stream per call. Deadlines and cancellation reset the stream,
 * which the server sees and turns into an aborted handler.
 *
 * A unary call (and a ping) crosses the binding once: `Connection.call` opens
 * the stream, writes the request frame, reads the whole reply frame and
 * finishes, resetting the stream itself at the deadline or on cancel (by a
 * cancel id). A server stream reads its frames one by one.
 */

import { release } from '../lib/index.ts';
import type { CallOptions, RpcChannel } from './channel.ts';
import { decodeResponse, encodeRequest } from './envelope.ts';
import { parseErrorText } from './error-text.ts';
import { encodeFrame, type Frame, FrameType, newRequestId } from './frame.ts';
import { IrohDialer } from './iroh-dialer.ts';
import { firstLine, type IrohPeerAddress, RPC_ALPN } from './iroh-endpoint.ts';
import { NOT_ADMITTED_REASON } from './iroh-host.ts';
import { FrameReader, parseFrame, writeFrame } from './iroh-stream.ts';
import { MAX_FRAME_PAYLOAD_BYTES, MAX_MESSAGE_BYTES } from './limits.ts';
import type { BiStream, Connection, Endpoint } from './native-iroh.ts';
import { Code, RpcError } from './status.ts';

const RESET_CANCELLED = 1;
/** Cancel ids for Connection.call, unique per process (so per connection too). */
let lastCancelId = 0;

/** Statuses the peer itself sent (Error frames): the connection is fine, the call failed. */
const fromPeer = new WeakSet<Error>();

/** Whether a failed call's status is the peer's own answer (the Iroh path itself worked). */
export function answeredByPeer(err: unknown): boolean {
  return err instanceof Error && fromPeer.has(err);
}
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** An UNAVAILABLE raised because no connection could be made (the fallback rule needs to know). */
export class IrohConnectError extends RpcError {
  constructor(message: string) {
    super(Code.UNAVAILABLE, message);
    this.name = 'IrohConnectError';
  }
}

export interface IrohChannelOptions {
  connectTimeoutMs?: number;
  alpn?: string;
  /**
   * Binds an endpoint for one dial: every (re)dial then goes out from a fresh endpoint, closed with
   * the connection it made, instead of from the channel's `endpoint` (see IrohDialer for why).
   */
  dialEndpoint?: () => Promise<Endpoint>;
}

export class IrohChannel implements RpcChannel {
  readonly transport = 'iroh' as const;
  readonly peer: IrohPeerAddress;
  private readonly dialer: IrohDialer;

  constructor(endpoint: Endpoint | undefined, peer: IrohPeerAddress, options: IrohChannelOptions = {}) {
    this.peer = peer;
    this.dialer = new IrohDialer(endpoint, peer, {
      alpn: options.alpn ?? RPC_ALPN,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      dialEndpoint: options.dialEndpoint,
      connectError: (reason) =>
        new IrohConnectError(`Iroh connect to ${peer.nodeId.slice(0, 10)}: ${reason}`),
    });
  }

  /** The live connection, dialling (again) when there is none or it closed. */
  connect(): Promise<Connection> {
    return this.dialer.connect();
  }

  /** Round-trip time of the QUIC path in ms, as the connection measures it. */
  async rttMs(): Promise<number | undefined> {
    const conn = await this.connect();
    return conn.rtt() ?? undefined;
  }

  /** Sends a Ping frame and waits for its Pong: an application-level RTT in ms. */
  async ping(opts: CallOptions = {}): Promise<number> {
    const started = performance.now();
    const frame = await this.call(opts, FrameType.Ping, new Uint8Array(0));
    if (frame.type !== FrameType.Pong) throw new RpcError(Code.INTERNAL, 'expected a Pong frame');
    return performance.now() - started;
  }

  unary(service: string, method: string, request: Uint8Array, opts: CallOptions = {}): Promise<Uint8Array> {
    if (request.length > MAX_MESSAGE_BYTES) return Promise.reject(tooLarge(request.length));
    const envelope = encodeRequest({ service, method, payload: request });
    return this.call(opts, FrameType.Request, envelope).then((frame) => {
      if (frame.type !== FrameType.Response) {
        throw new RpcError(Code.INTERNAL, `expected a Response frame, got type ${frame.type}`);
      }
      const env = decodeResponse(frame.payload);
      if (!env.success) {
        const status = parseErrorText(env.error ?? 'UNKNOWN: no error text');
        fromPeer.add(status);
        throw status;
      }
      return env.payload ?? new Uint8Array(0);
    });
  }

  /** One request frame out, its reply frame back, in one crossing of the binding. */
  private async call(opts: CallOptions, type: FrameType, payload: Uint8Array): Promise<Frame> {
    const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
    const early = abortStatus(opts.signal, deadline);
    if (early) throw early;
    const conn = await withDeadline(this.connect(), deadline, opts.signal);
    const signal = opts.signal;
    const cancelId = signal === undefined ? undefined : ++lastCancelId;
    const onAbort = () => {
      if (cancelId !== undefined) conn.cancelCall(cancelId, RESET_CANCELLED);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const stillOk = abortStatus(signal, deadline);
      if (stillOk) throw stillOk;
      const remainingMs = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
      const reply = await conn.call(
        encodeFrame(type, newRequestId(), payload),
        MAX_FRAME_PAYLOAD_BYTES,
        remainingMs,
        cancelId,
      );
      return this.replyFrame(parseFrame(reply));
    } catch (err) {
      const status = callError(err, conn);
      this.suspect(conn, status);
      throw status;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async *serverStream(
    service: string,
    method: string,
    request: Uint8Array,
    opts: CallOptions = {},
  ): AsyncGenerator<Uint8Array> {
    if (request.length > MAX_MESSAGE_BYTES) throw tooLarge(request.length);
    const envelope = encodeRequest({ service, method, payload: request });
    const { bi, id, guard, end, conn } = await this.open(opts);
    let complete = false;
    try {
      await guard(() => writeFrame(bi.send, FrameType.Request, id, envelope));
      const reader = new FrameReader(bi.recv);
      for (;;) {
        const frame = await guard(() => this.readReply(reader));
        if (frame.type === FrameType.StreamEnd) {
          complete = true;
          return;
        }
        if (frame.type !== FrameType.StreamData) {
          throw new RpcError(Code.INTERNAL, `expected StreamData or StreamEnd, got type ${frame.type}`);
        }
        yield frame.payload;
      }
    } catch (err) {
      this.suspect(conn, err);
      throw err;
    } finally {
      end(complete);
    }
  }

  close(): Promise<void> {
    return this.dialer.close();
  }

  private async readReply(reader: FrameReader): Promise<Frame> {
    return this.replyFrame(await reader.next());
  }

  private replyFrame(frame: Frame | undefined): Frame {
    // Not an RpcError yet: connectionError() first looks for a close reason (e.g. not admitted).
    if (frame === undefined) throw new Error('stream ended without a reply');
    if (frame.type === FrameType.Error) {
      const env = decodeResponse(frame.payload);
      const status = parseErrorText(env.error ?? 'UNKNOWN: no error text');
      fromPeer.add(status);
      throw status;
    }
    return frame;
  }

  /** Opens a stream for one call, with a guard that races work against deadline and cancel. */
  private async open(opts: CallOptions) {
    const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
    const early = abortStatus(opts.signal, deadline);
    if (early) throw early;
    const conn = await withDeadline(this.connect(), deadline, opts.signal);
    let bi: BiStream;
    try {
      bi = await withDeadline(conn.openBi(), deadline, opts.signal);
    } catch (err) {
      this.suspect(conn, err);
      throw connectionError(err, conn);
    }
    const id = newRequestId();
    const done = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const interrupted = new Promise<never>((_, reject) => {
      const fire = (status: RpcError) => {
        cancelStream(bi);
        reject(status);
      };
      if (deadline !== undefined) {
        timer = setTimeout(
          () => fire(new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded')),
          Math.max(0, deadline - Date.now()),
        );
      }
      opts.signal?.addEventListener('abort', () => fire(new RpcError(Code.CANCELLED, 'call cancelled')), {
        once: true,
        signal: done.signal,
      });
    });
    // Raced by every guarded step below; observed here so a call that ends first leaves no unhandled rejection.
    interrupted.catch(() => undefined);
    const guard = <T>(work: () => Promise<T>): Promise<T> =>
      Promise.race([work().catch((err: unknown) => Promise.reject(connectionError(err, conn))), interrupted]);
    /** Ends the call: a complete exchange finishes our side; anything else resets the stream. */
    const end = (complete: boolean) => {
      clearTimeout(timer);
      done.abort();
      if (complete) void release(bi.send.finish());
      else cancelStream(bi);
    };
    return { bi, id, guard, end, conn };
  }

  /**
   * A call that failed for any reason but the peer's own answer (a deadline
   * with no reply, a reset, a broken stream) may mean the peer is gone while
   * QUIC still holds the connection until its idle timeout: drop it, so the
   * next call dials afresh instead of waiting on a dead path.
   */
  private suspect(conn: Connection, err: unknown): void {
    if (err instanceof Error && fromPeer.has(err)) return;
    if (err instanceof RpcError && err.code === Code.CANCELLED) return;
    this.dialer.drop(conn, 'call failed; redialling');
  }
}

function abortStatus(signal: AbortSignal | undefined, deadline: number | undefined): RpcError | undefined {
  if (signal?.aborted) return new RpcError(Code.CANCELLED, 'call cancelled');
  if (deadline !== undefined && Date.now() >= deadline) {
    return new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded');
  }
  return undefined;
}

/** A failed Connection.call as a status: the binding's own deadline and cancel, else as connectionError. */
function callError(err: unknown, conn: Connection): RpcError {
  if (err instanceof Error && (err as { code?: unknown }).code === 'Cancelled') {
    if (err.message === 'deadline exceeded') return new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded');
    if (err.message === 'call cancelled') return new RpcError(Code.CANCELLED, 'call cancelled');
  }
  return connectionError(err, conn);
}

function tooLarge(bytes: number): RpcError {
  return new RpcError(
    Code.RESOURCE_EXHAUSTED,
    `request of ${bytes} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`,
  );
}

/** Resets both directions: the server's pending read sees it and aborts the handler. */
function cancelStream(bi: BiStream): void {
  void release(bi.send.reset(RESET_CANCELLED));
  void release(bi.recv.stop(RESET_CANCELLED));
}

function withDeadline<T>(
  work: Promise<T>,
  deadline: number | undefined,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (deadline === undefined && signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const timer =
      deadline === undefined
        ? undefined
        : setTimeout(
            () => reject(new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded')),
            Math.max(0, deadline - Date.now()),
          );
    const onAbort = () => reject(new RpcError(Code.CANCELLED, 'call cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

/** Errors from the binding as statuses: a refused or closed connection is not INTERNAL. */
function connectionError(err: unknown, conn: Connection): RpcError {
  if (err instanceof RpcError) return err;
  const reason = conn.closeReason();
  if (reason !== null) {
    if (reason.includes(NOT_ADMITTED_REASON)) {
      return new RpcError(Code.PERMISSION_DENIED, `peer refused this node id: ${NOT_ADMITTED_REASON}`);
    }
    return new RpcError(Code.UNAVAILABLE, `connection closed: ${firstLine(reason)}`);
  }
  if (err instanceof Error && err.name === 'FrameError') return new RpcError(Code.INTERNAL, err.message);
  return new RpcError(Code.UNAVAILABLE, firstLine(err));
}
