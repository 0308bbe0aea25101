/**
 * A test implementation of every RPC of the contract, driven by a behaviour
 * the test sets before each call, so the same call can be made to succeed,
 * fail with a given status, or hang until cancelled — on both transports.
 * Replies are derived from the request, so equal requests give equal replies.
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  toJsonString,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import {
  ALL_SERVICES,
  type CallContext,
  Code,
  type CodeName,
  RpcError,
  ServiceRegistry,
} from '../../node/transport/index.ts';

export type Behaviour = { kind: 'reply' } | { kind: 'fail'; code: CodeName } | { kind: 'hang' };

export class ParityService {
  behaviour: Behaviour = { kind: 'reply' };
  /** Hanging calls whose handler started, and those whose handler then saw its signal abort. */
  readonly startedCalls: { transport: string; method: string }[] = [];
  readonly abortedCalls: { transport: string; method: string }[] = [];
  readonly registry = new ServiceRegistry();

  /** Registers every service; methods named in `leaveOut` stay unimplemented. */
  constructor(leaveOut: readonly string[] = []) {
    for (const service of ALL_SERVICES) {
      const impl: Record<string, unknown> = {};
      for (const method of service.methods) {
        if (leaveOut.includes(`${service.typeName}/${method.name}`)) continue;
        impl[method.localName] =
          method.methodKind === 'server_streaming'
            ? (req: unknown, ctx: CallContext) => this.stream(method, req, ctx)
            : (req: unknown, ctx: CallContext) => this.unary(method, req, ctx);
      }
      this.registry.register(service as GenService<GenServiceMethods>, impl as never);
    }
  }

  private async unary(method: DescMethod, req: unknown, ctx: CallContext) {
    await this.act(method, ctx);
    return replyFor(method, req);
  }

  private async *stream(method: DescMethod, req: unknown, ctx: CallContext) {
    await this.act(method, ctx);
    for (let i = 0; i < 3; i++) yield replyFor(method, req, i);
  }

  private async act(method: DescMethod, ctx: CallContext): Promise<void> {
    const b = this.behaviour;
    if (b.kind === 'fail') throw new RpcError(Code[b.code], `${method.name} failed as asked`);
    if (b.kind === 'hang') {
      this.startedCalls.push({ transport: ctx.transport, method: method.name });
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      this.abortedCalls.push({ transport: ctx.transport, method: method.name });
      throw new RpcError(Code.CANCELLED, 'aborted');
    }
  }
}

/** Fills every scalar field of the reply from the request, deterministically. */
function replyFor(method: DescMethod, req: unknown, seq = 0): Record<string, unknown> {
  const text = `${method.name}#${seq}:${toJsonString(method.input, req as never)}`;
  const init: Record<string, unknown> = {};
  for (const field of method.output.fields) {
    if (field.fieldKind === 'scalar') {
      const zero: unknown = create(method.output as DescMessage)[field.localName as never];
      init[field.localName] = sampleScalar(zero, text);
    } else if (field.fieldKind === 'enum') {
      init[field.localName] = 1;
    }
  }
  return init;
}

/** A value of the same type as `zero` (a field's default), derived from `text`. */
export function sampleScalar(zero: unknown, text: string): unknown {
  switch (typeof zero) {
    case 'string':
      return text;
    case 'boolean':
      return true;
    case 'bigint':
      return BigInt(text.length);
    case 'number':
      return text.length % 100;
    default:
      return new TextEncoder().encode(text);
  }
}

/** A request for `method` with every scalar field set, as the parity cases send. */
export function sampleRequest(method: DescMethod): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  const zero = create(method.input as DescMessage) as Record<string, unknown>;
  for (const field of method.input.fields) {
    if (field.fieldKind === 'scalar')
      init[field.localName] = sampleScalar(zero[field.localName], `${field.name}-1`);
  }
  return init;
}

export function contractServices(): readonly DescService[] {
  return ALL_SERVICES;
}
