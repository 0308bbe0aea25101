/**
 * A typed client for a generated service over any RpcChannel: `client.createVm(
 * { name })` encodes, calls and decodes, whichever transport the channel uses.
 */
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { CallOptions, RpcChannel } from './channel.ts';

type ClientMethod<M> = M extends { methodKind: 'unary'; input: infer I; output: infer O }
  ? I extends DescMessage
    ? O extends DescMessage
      ? (request: MessageInitShape<I>, opts?: CallOptions) => Promise<MessageShape<O>>
      : never
    : never
  : M extends { methodKind: 'server_streaming'; input: infer I; output: infer O }
    ? I extends DescMessage
      ? O extends DescMessage
        ? (request: MessageInitShape<I>, opts?: CallOptions) => AsyncIterable<MessageShape<O>>
        : never
      : never
    : never;

export type TypedClient<S> =
  S extends GenService<infer M extends GenServiceMethods> ? { [K in keyof M]: ClientMethod<M[K]> } : never;

export function createClient<S extends GenService<GenServiceMethods>>(
  service: S,
  channel: RpcChannel,
): TypedClient<S> {
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    const encode = (request: MessageInitShape<DescMessage>) =>
      toBinary(method.input, create(method.input, request));
    const decode = (bytes: Uint8Array) => fromBinary(method.output, bytes);
    const svc = service.typeName;
    if (method.methodKind === 'server_streaming') {
      client[method.localName] = async function* (
        request: MessageInitShape<DescMessage>,
        opts?: CallOptions,
      ) {
        for await (const bytes of channel.serverStream(svc, method.name, encode(request), opts))
          yield decode(bytes);
      };
    } else {
      client[method.localName] = async (request: MessageInitShape<DescMessage>, opts?: CallOptions) =>
        decode(await channel.unary(svc, method.name, encode(request), opts));
    }
  }
  return client as TypedClient<S>;
}
