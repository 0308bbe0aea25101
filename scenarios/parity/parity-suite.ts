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

/** Whether two outcomes agree: same code and equal replies, message by message. */
export function sameOutcome(method: DescMethod, a: Outcome, b: Outcome): boolean {
  if (a.code !== b.code || a.replies.length !== b.replies.length) return false;
  return a.replies.every((r, i) => equals(method.output, r as never, b.replies[i] as never));
}

export interface ParityTarget {
  grpc: RpcChannel;
  iroh: RpcChannel;
}

/** Makes the same call on both transports; `makeOpts` gives each call fresh options. */
export async function compareTransports(
  target: ParityTarget,
  method: DescMethod,
  request: Uint8Array,
  makeOpts: () => CallOptions = () => ({}),
): Promise<{ grpc: Outcome; iroh: Outcome; same: boolean }> {
  const grpc = await callOnce(target.grpc, method, request, makeOpts());
  const iroh = await callOnce(target.iroh, method, request, makeOpts());
  return { grpc, iroh, same: sameOutcome(method, grpc, iroh) };
}
