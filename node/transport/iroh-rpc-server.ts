/**
 * Serves a ServiceRegistry over Iroh (ALPN blixard/rpc/1): one bidirectional
 * stream per call, carrying a Request frame one way and a Response, an Error
 * or StreamData… StreamEnd frames back. Ping frames get a Pong on the same
 * stream. Bad input of any kind gets an Error frame and never reaches beyond
 * its own stream. Stream limits and the request read deadline are the base
 * class's; a refused or stalled stream gets an Error frame too.
 */

import { release } from '../lib/index.ts';
import { decodeRequest, EnvelopeError, encodeResponse } from './envelope.ts';
import { formatErrorText } from './error-text.ts';
import { FrameError, FrameType } from './frame.ts';
import { RPC_ALPN } from './iroh-endpoint.ts';
import {
  DEFAULT_STREAM_LIMITS,
  IrohProtocolBase,
  type IrohStreamLimits,
  STREAM_REFUSED_CODE,
} from './iroh-protocol-base.ts';
import { writeFrame } from './iroh-stream.ts';
import type { BiStream, Connection } from './native-iroh.ts';
import type { ServiceRegistry } from './registry.ts';
import { Code, RpcError, toRpcError } from './status.ts';

const NO_ID = new Uint8Array(16);
const EMPTY = new Uint8Array(0);

export class IrohRpcServer extends IrohProtocolBase {
  readonly alpn = RPC_ALPN;
  private readonly registry: ServiceRegistry;

  constructor(registry: ServiceRegistry, limits: IrohStreamLimits = DEFAULT_STREAM_LIMITS) {
    super(limits);
    this.registry = registry;
  }

  protected override async refuseStream(bi: BiStream, message: string): Promise<void> {
    const payload = encodeResponse({
      success: false,
      payload: undefined,
      error: formatErrorText(new RpcError(Code.RESOURCE_EXHAUSTED, message)),
    });
    await writeFrame(bi.send, FrameType.Error, NO_ID, payload, true);
    // Nothing of the request is read, so no read holds the receive side: stop it now.
    await bi.recv.stop(STREAM_REFUSED_CODE);
  }

  protected async serveStream(bi: BiStream, conn: Connection, remoteId: string): Promise<void> {
    const ctrl = new AbortController();
    const onShutdown = () => ctrl.abort(new RpcError(Code.UNAVAILABLE, 'server shutting down'));
    this.shutdown.addEventListener('abort', onShutdown, { once: true });
    let requestId: Uint8Array = NO_ID;
    try {
      const frame = await this.readRequest(bi, conn, remoteId);
      if (frame === undefined) throw new FrameError('truncated', 'stream ended before a frame header');
      requestId = frame.requestId;
      if (frame.type === FrameType.Ping) {
        await writeFrame(bi.send, FrameType.Pong, requestId, frame.payload, true);
      } else if (frame.type !== FrameType.Request) {
        throw new RpcError(Code.INVALID_ARGUMENT, `expected a Request or Ping frame, got type ${frame.type}`);
      } else {
        watchForCancel(bi, ctrl);
        await this.answer(bi, frame.payload, requestId, remoteId, ctrl.signal);
      }
    } catch (err) {
      await this.replyError(bi, err, requestId, conn);
    } finally {
      this.shutdown.removeEventListener('abort', onShutdown);
    }
  }

  private async answer(
    bi: BiStream,
    request: Uint8Array,
    requestId: Uint8Array,
    remoteId: string,
    signal: AbortSignal,
  ): Promise<void> {
    const env = decodeEnvelope(request);
    const opts = { signal, transport: 'iroh' as const, peer: remoteId };
    if (this.registry.lookup(env.service, env.method)?.streaming) {
      for await (const bytes of this.registry.invokeStream(env.service, env.method, env.payload, opts)) {
        await writeFrame(bi.send, FrameType.StreamData, requestId, bytes);
      }
      await writeFrame(bi.send, FrameType.StreamEnd, requestId, EMPTY, true);
      return;
    }
    const reply = await this.registry.invokeUnary(env.service, env.method, env.payload, opts);
    // The reply and the stream's finish cross the binding together.
    await writeFrame(
      bi.send,
      FrameType.Response,
      requestId,
      encodeResponse({ success: true, payload: reply, error: undefined }),
      true,
    );
  }

  private async replyError(
    bi: BiStream,
    err: unknown,
    requestId: Uint8Array,
    conn: Connection,
  ): Promise<void> {
    if (conn.closeReason() !== null) return;
    const status = err instanceof FrameError ? frameErrorStatus(err) : toRpcError(err);
    const id = err instanceof FrameError ? (err.requestId ?? requestId) : requestId;
    const payload = encodeResponse({ success: false, payload: undefined, error: formatErrorText(status) });
    try {
      await writeFrame(bi.send, FrameType.Error, id, payload, true);
      // Whatever the client still sends on this stream is not going to be read. Not awaited:
      // after a read deadline the stop waits until the binding's pending read ends.
      void release(bi.recv.stop(0));
    } catch {
      // The client already went away (cancelled or reset): nothing to tell it.
    }
  }
}

/**
 * The client keeps its send side open until the reply is in, and resets it to
 * cancel: a pending read sees the reset. (A client that finishes right after
 * its request just makes this read end at once; nothing is lost.)
 */
function watchForCancel(bi: BiStream, ctrl: AbortController): void {
  void bi.recv.read(1).then(
    () => {},
    () => ctrl.abort(new RpcError(Code.CANCELLED, 'call cancelled by the client')),
  );
}

function decodeEnvelope(payload: Uint8Array) {
  try {
    return decodeRequest(payload);
  } catch (err) {
    if (err instanceof EnvelopeError) {
      throw new RpcError(Code.INVALID_ARGUMENT, `malformed request envelope: ${err.message}`);
    }
    throw err;
  }
}

function frameErrorStatus(err: FrameError): RpcError {
  const code = err.reason === 'length' ? Code.RESOURCE_EXHAUSTED : Code.INVALID_ARGUMENT;
  return new RpcError(code, `malformed frame: ${err.message}`);
}
