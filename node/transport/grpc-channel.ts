/** An RpcChannel over gRPC (@grpc/grpc-js) to one peer; one HTTP/2 connection, reused. */
import * as grpc from '@grpc/grpc-js';
import type { CallOptions, RpcChannel } from './channel.ts';
import { MAX_MESSAGE_BYTES } from './limits.ts';
import { Code, RpcError, type StatusCode } from './status.ts';

const identity = (value: Buffer) => value;
const GRPC_LIMIT = MAX_MESSAGE_BYTES + 1024;

export class GrpcChannel implements RpcChannel {
  readonly transport = 'grpc' as const;
  readonly address: string;
  private readonly client: grpc.Client;

  constructor(address: string) {
    this.address = address;
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': GRPC_LIMIT,
      'grpc.max_send_message_length': GRPC_LIMIT,
      // Fail fast on a dead peer instead of queueing calls until the deadline.
      'grpc.enable_retries': 0,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
      // No per-call channelz bookkeeping: nothing reads it.
      'grpc.enable_channelz': 0,
    });
  }

  unary(service: string, method: string, request: Uint8Array, opts: CallOptions = {}): Promise<Uint8Array> {
    if (opts.signal?.aborted) return Promise.reject(new RpcError(Code.CANCELLED, 'call cancelled'));
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest<Buffer, Buffer>(
        ...callArgs(service, method, request, opts),
        (err, reply) => {
          opts.signal?.removeEventListener('abort', cancel);
          if (err) reject(fromServiceError(err));
          else resolve(reply ?? Buffer.alloc(0));
        },
      );
      const cancel = () => call.cancel();
      opts.signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  async *serverStream(
    service: string,
    method: string,
    request: Uint8Array,
    opts: CallOptions = {},
  ): AsyncGenerator<Uint8Array> {
    if (opts.signal?.aborted) throw new RpcError(Code.CANCELLED, 'call cancelled');
    const call = this.client.makeServerStreamRequest<Buffer, Buffer>(
      ...callArgs(service, method, request, opts),
    );
    const cancel = () => call.cancel();
    opts.signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of call) yield message as Buffer;
    } catch (err) {
      throw fromServiceError(err as grpc.ServiceError);
    } finally {
      opts.signal?.removeEventListener('abort', cancel);
      call.cancel();
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** What every call starts with: its path, raw bytes both ways, the request, no metadata, and the options. */
function callArgs(service: string, method: string, request: Uint8Array, opts: CallOptions) {
  return [
    `/${service}/${method}`,
    identity,
    identity,
    toBuffer(request),
    new grpc.Metadata(),
    callOptions(opts),
  ] as const;
}

function callOptions(opts: CallOptions): grpc.CallOptions {
  return opts.timeoutMs === undefined ? {} : { deadline: Date.now() + opts.timeoutMs };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function fromServiceError(err: grpc.ServiceError | Error): RpcError {
  if ('code' in err && typeof err.code === 'number') {
    return new RpcError(err.code as StatusCode, (err as grpc.ServiceError).details ?? err.message);
  }
  return new RpcError(Code.UNKNOWN, err.message);
}
