/**
 * The service registry: each RPC handler is written once, against protobuf
 * messages, and served by both transports through `invokeUnary` and
 * `invokeStream`, which own decoding, size limits and status mapping so the
 * two transports cannot drift apart.
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { CallContext } from './call-context.ts';
import { MAX_MESSAGE_BYTES } from './limits.ts';
import { groupOf, methodPath, type ServiceGroup } from './service-groups.ts';
import { Code, RpcError, toRpcError } from './status.ts';
import type { TransportKind } from './vocabulary.ts';

export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: CallContext,
) => Promise<MessageInitShape<O>> | MessageInitShape<O>;

export type StreamHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: CallContext,
) => AsyncIterable<MessageInitShape<O>>;

type HandlerFor<M> = M extends { methodKind: 'unary'; input: infer I; output: infer O }
  ? I extends DescMessage
    ? O extends DescMessage
      ? UnaryHandler<I, O>
      : never
    : never
  : M extends { methodKind: 'server_streaming'; input: infer I; output: infer O }
    ? I extends DescMessage
      ? O extends DescMessage
        ? StreamHandler<I, O>
        : never
      : never
    : never;

/** Handlers for a generated service, keyed by the method's local name (e.g. `createVm`). */
export type ServiceImpl<S> =
  S extends GenService<infer M extends GenServiceMethods> ? { [K in keyof M]: HandlerFor<M[K]> } : never;

export interface RegisteredMethod {
  readonly method: DescMethod;
  readonly path: string;
  readonly group: ServiceGroup;
  readonly streaming: boolean;
  readonly handler: ((request: never, ctx: CallContext) => unknown) | undefined;
}

export interface InvokeOptions {
  signal: AbortSignal;
  transport: TransportKind;
  peer: string;
}

/** After every served call: how it ended and how long it took. */
export type ServedCallObserver = (event: {
  transport: TransportKind;
  service: string;
  method: string;
  code: number;
  ms: number;
  /** Message bytes in (request) and out (responses), for bytes-per-transport figures. */
  requestBytes: number;
  responseBytes: number;
}) => void;

export class ServiceRegistry {
  private readonly methods = new Map<string, RegisteredMethod>();
  private readonly serviceList: DescService[] = [];
  private readonly observers: ServedCallObserver[] = [];

  /** Adds an observer of served calls (metrics, logs). */
  observe(observer: ServedCallObserver): this {
    this.observers.push(observer);
    return this;
  }

  /**
   * Registers every method of `service`; those absent from `impl` answer
   * UNIMPLEMENTED on both transports.
   */
  register<S extends GenService<GenServiceMethods>>(service: S, impl: Partial<ServiceImpl<S>>): this {
    if (!this.serviceList.includes(service)) this.serviceList.push(service);
    const handlers = impl as Record<string, RegisteredMethod['handler']>;
    for (const method of service.methods) {
      const path = methodPath(method);
      this.methods.set(path, {
        method,
        path,
        group: groupOf(method),
        streaming: method.methodKind === 'server_streaming',
        handler: handlers[method.localName] ?? this.methods.get(path)?.handler,
      });
    }
    return this;
  }

  services(): readonly DescService[] {
    return this.serviceList;
  }

  lookup(service: string, method: string): RegisteredMethod | undefined {
    return this.methods.get(`${service}/${method}`);
  }

  /** Runs a unary call from its request bytes to its response bytes; throws RpcError. */
  async invokeUnary(
    service: string,
    method: string,
    request: Uint8Array,
    opts: InvokeOptions,
  ): Promise<Uint8Array> {
    const call = this.served(opts.transport, service, method, request.length);
    try {
      const { entry, message, ctx } = this.prepare(service, method, request, opts, false);
      const handler = entry.handler as UnaryHandler<DescMessage, DescMessage>;
      const reply = await untilAborted(
        Promise.resolve().then(() => handler(message, ctx)),
        ctx.signal,
      );
      const encoded = encodeReply(entry.method.output, reply);
      call.responseBytes = encoded.length;
      return encoded;
    } catch (err) {
      throw call.failed(err);
    } finally {
      call.ended();
    }
  }

  /** One served call as it goes: how it ended and its reply bytes, told to the observers when it ends. */
  private served(transport: TransportKind, service: string, method: string, requestBytes: number) {
    const started = performance.now();
    const call = {
      code: Code.OK as number,
      responseBytes: 0,
      /** The failure as a status, which is how the call ended. */
      failed: (err: unknown): RpcError => {
        const status = toRpcError(err);
        call.code = status.code;
        return status;
      },
      ended: () => {
        if (this.observers.length === 0) return;
        // Unknown names are not label values: they would let any caller grow the metric's series.
        const known = this.methods.has(`${service}/${method}`);
        const event = {
          transport,
          service: known ? service : 'unknown',
          method: known ? method : 'unknown',
          code: call.code,
          ms: performance.now() - started,
          requestBytes,
          responseBytes: call.responseBytes,
        };
        for (const observer of this.observers) observer(event);
      },
    };
    return call;
  }

  /** Runs a server-streaming call, yielding each response's bytes; throws RpcError. */
  async *invokeStream(
    service: string,
    method: string,
    request: Uint8Array,
    opts: InvokeOptions,
  ): AsyncGenerator<Uint8Array> {
    const call = this.served(opts.transport, service, method, request.length);
    try {
      const { entry, message, ctx } = this.prepare(service, method, request, opts, true);
      const handler = entry.handler as StreamHandler<DescMessage, DescMessage>;
      const iterator = handler(message, ctx)[Symbol.asyncIterator]();
      try {
        for (;;) {
          const next = await untilAborted(iterator.next(), ctx.signal);
          if (next.done) return;
          const encoded = encodeReply(entry.method.output, next.value);
          call.responseBytes += encoded.length;
          yield encoded;
        }
      } finally {
        await iterator.return?.();
      }
    } catch (err) {
      throw call.failed(err);
    } finally {
      call.ended();
    }
  }

  private prepare(
    service: string,
    method: string,
    request: Uint8Array,
    opts: InvokeOptions,
    streaming: boolean,
  ) {
    const entry = this.methods.get(`${service}/${method}`);
    if (entry === undefined) throw new RpcError(Code.UNIMPLEMENTED, `unknown method ${service}/${method}`);
    if (entry.streaming !== streaming) {
      throw new RpcError(
        Code.UNIMPLEMENTED,
        `${entry.path} is ${entry.streaming ? 'server-streaming' : 'unary'}, called as the other kind`,
      );
    }
    if (entry.handler === undefined) {
      throw new RpcError(Code.UNIMPLEMENTED, `${entry.path} is not implemented by this node`);
    }
    if (request.length > MAX_MESSAGE_BYTES) {
      throw new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `request of ${request.length} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`,
      );
    }
    let message: MessageShape<DescMessage>;
    try {
      message = fromBinary(entry.method.input, request);
    } catch (err) {
      throw new RpcError(
        Code.INVALID_ARGUMENT,
        `invalid ${entry.method.input.typeName}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const ctx: CallContext = { ...opts, method: entry.method, group: entry.group };
    return { entry, message, ctx };
  }
}

function encodeReply(schema: DescMessage, reply: MessageInitShape<DescMessage>): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = toBinary(schema, create(schema, reply));
  } catch (err) {
    throw new RpcError(Code.INTERNAL, `could not encode ${schema.typeName}: ${(err as Error).message}`);
  }
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new RpcError(
      Code.RESOURCE_EXHAUSTED,
      `response of ${bytes.length} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`,
    );
  }
  return bytes;
}

/** The abort reason as a status: CANCELLED unless the reason is an RpcError. */
export function abortError(signal: AbortSignal): RpcError {
  return signal.reason instanceof RpcError ? signal.reason : new RpcError(Code.CANCELLED, 'call cancelled');
}

/** Settles with `work`, or rejects with the abort status as soon as `signal` fires. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toRpcError(err));
      },
    );
  });
}
