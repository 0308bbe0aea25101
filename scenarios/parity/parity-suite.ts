/**
 * The parity check: one call made over gRPC and over Iroh must end the same
 * way — equal replies, or the same status code. Written against RpcChannels
 * so it runs against the test service here and against real nodes later.
 */
import { type DescMethod, equals, fromBinary } from '@bufbuild/protobuf';
import { type CallOptions, codeName, type RpcChannel, RpcError } from '../../node/transport/index.ts';

export interface Outcome {
  transport: string;
  code: string;
  /** Decoded replies (one for unary, each message of a stream). */
  replies: unknown[];
}

export async function callOnce(
  channel: RpcChannel,
  method: DescMethod,
  request: Uint8Array,
  opts: CallOptions = {},
): Promise<Outcome> {
  const service = method.parent.typeName;
  const replies: unknown[] = [];
  try {
    if (method.methodKind === 'server_streaming') {
      for await (const bytes of channel.serverStream(service, method.name, request, opts)) {
        replies.push(fromBinary(method.output, bytes));
      }
    } else {
      replies.push(fromBinary(method.output, await channel.unary(service, method.name, request, opts)));
    }
    return { transport: channel.transport, code: 'OK', replies };
  } catch (err) {
    const code = err instanceof RpcError ? codeName(err.code) : `NOT_AN_RPC_ERROR(${String(err)})`;
    return { transport: channel.transport, code, replies };
  }
}

/**
 * Whether two outcomes agree: same code and equal replies, message by message —
 * compared whole, or through `normalize` where a real node's replies carry
 * values that differ between any two calls (uptime, the name a create used).
 */
export function sameOutcome(
  method: DescMethod,
  a: Outcome,
  b: Outcome,
  normalize?: (reply: never) => unknown,
): boolean {
  if (a.code !== b.code || a.replies.length !== b.replies.length) return false;
  if (normalize) {
    const view = (o: Outcome) =>
      JSON.stringify(
        o.replies.map((r) => normalize(r as never)),
        bigints,
      );
    return view(a) === view(b);
  }
  return a.replies.every((r, i) => equals(method.output, r as never, b.replies[i] as never));
}

/** JSON.stringify replacer for protobuf-es messages (64-bit fields are bigints). */
export function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export interface ParityTarget {
  grpc: RpcChannel;
  iroh: RpcChannel;
}

/** Makes the same call on both transports; `makeOpts` gives each call fresh options. */
export async function compareTransports(
  target: ParityTarget,
  method: DescMethod,
  request: Uint8Array | ((transport: 'grpc' | 'iroh') => Uint8Array),
  makeOpts: () => CallOptions = () => ({}),
  normalize?: (reply: never) => unknown,
): Promise<{ grpc: Outcome; iroh: Outcome; same: boolean }> {
  const requestFor = (t: 'grpc' | 'iroh') => (typeof request === 'function' ? request(t) : request);
  const grpc = await callOnce(target.grpc, method, requestFor('grpc'), makeOpts());
  const iroh = await callOnce(target.iroh, method, requestFor('iroh'), makeOpts());
  return { grpc, iroh, same: sameOutcome(method, grpc, iroh, normalize) };
}
