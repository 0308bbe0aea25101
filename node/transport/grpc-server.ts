/**
 * Serves a ServiceRegistry over gRPC (@grpc/grpc-js). Requests arrive as raw
 * bytes and are decoded by the registry, so a malformed message gets the same
 * INVALID_ARGUMENT here as over Iroh. Server reflection (v1 and v1alpha) is
 * served from the registry's generated file descriptors, so grpcurl needs no
 * proto files.
 */
import { type DescFile, type DescService, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { MAX_MESSAGE_BYTES } from './limits.ts';
import type { RegisteredMethod, ServiceRegistry } from './registry.ts';
import { Code, RpcError, toRpcError } from './status.ts';

/** Room for gRPC's own framing around a message at the limit. */
const GRPC_LIMIT = MAX_MESSAGE_BYTES + 1024;

const identity = (value: Buffer) => value;

export interface GrpcServerOptions {
  /** host:port; port 0 picks a free one. */
  bindAddress: string;
  /** Serve gRPC server reflection (default true). */
  reflection?: boolean;
}

export class GrpcServer {
  private readonly server: grpc.Server;
  private readonly inflight = new Set<AbortController>();
  private readonly registry: ServiceRegistry;
  private readonly options: GrpcServerOptions;
  private boundPort = 0;

  constructor(registry: ServiceRegistry, options: GrpcServerOptions) {
    this.registry = registry;
    this.options = options;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': GRPC_LIMIT,
      'grpc.max_send_message_length': GRPC_LIMIT,
      // Channelz's per-call bookkeeping showed in the leader's CPU profile; nothing reads it.
      'grpc.enable_channelz': 0,
    });
    for (const service of registry.services()) {
      for (const method of service.methods) {
        const entry = registry.lookup(service.typeName, method.name);
        if (entry !== undefined) this.registerMethod(entry);
      }
    }
    if (options.reflection ?? true) {
      new ReflectionService(reflectionPackage(registry.services())).addToServer(this.server);
    }
  }

  async start(): Promise<string> {
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.options.bindAddress, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(new Error(`gRPC bind ${this.options.bindAddress}: ${err.message}`)) : resolve(port),
      );
    });
    return this.address;
  }

  get address(): string {
    const host = this.options.bindAddress.slice(0, this.options.bindAddress.lastIndexOf(':'));
    return `${host}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async stop(graceMs = 2000): Promise<void> {
    for (const ctrl of this.inflight) ctrl.abort(new RpcError(Code.UNAVAILABLE, 'server shutting down'));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private registerMethod(entry: RegisteredMethod): void {
    const service = entry.method.parent.typeName;
    const name = entry.method.name;
    const path = `/${entry.path}`;
    if (entry.streaming) {
      this.server.register<Buffer, Buffer>(
        path,
        (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          const ctrl = this.track(call);
          void (async () => {
            try {
              const opts = { signal: ctrl.signal, transport: 'grpc' as const, peer: call.getPeer() };
              for await (const bytes of this.registry.invokeStream(service, name, call.request, opts)) {
                if (!call.write(Buffer.from(bytes))) await onceDrained(call, ctrl.signal);
              }
              call.end();
            } catch (err) {
              if (!call.cancelled) call.emit('error', toStatus(err));
            } finally {
              this.inflight.delete(ctrl);
            }
          })();
        },
        identity,
        identity,
        'serverStream',
      );
      return;
    }
    this.server.register<Buffer, Buffer>(
      path,
      (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const ctrl = this.track(call);
        const opts = { signal: ctrl.signal, transport: 'grpc' as const, peer: call.getPeer() };
        this.registry.invokeUnary(service, name, call.request, opts).then(
          (bytes) => {
            this.inflight.delete(ctrl);
            callback(null, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          },
          (err: unknown) => {
            this.inflight.delete(ctrl);
            callback(toStatus(err));
          },
        );
      },
      identity,
      identity,
      'unary',
    );
  }

  private track(call: grpc.ServerUnaryCall<Buffer, Buffer> | grpc.ServerWritableStream<Buffer, Buffer>) {
    const ctrl = new AbortController();
    this.inflight.add(ctrl);
    // grpc-js emits 'cancelled' both when the client cancels and when the deadline passes.
    (call as NodeJS.EventEmitter).on('cancelled', () =>
      ctrl.abort(new RpcError(Code.CANCELLED, 'call cancelled by the client')),
    );
    return ctrl;
  }
}

/**
 * The services' proto files and their imports as @grpc/reflection reads them
 * (a proto-loader package definition, of which it uses only the serialized
 * FileDescriptorProtos), from the descriptors protoc-gen-es generated.
 */
function reflectionPackage(
  services: readonly DescService[],
): ConstructorParameters<typeof ReflectionService>[0] {
  const files = new Map<string, DescFile>();
  const add = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const dep of file.dependencies) add(dep);
  };
  for (const service of services) add(service.file);
  const fileDescriptorProtos = [...files.values()].map((f) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)),
  );
  const definition: Record<string, { fileDescriptorProtos: Buffer[] }> = {};
  for (const service of services) definition[service.typeName] = { fileDescriptorProtos };
  return definition as unknown as ConstructorParameters<typeof ReflectionService>[0];
}

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  const rpc = toRpcError(err);
  return { code: rpc.code as number as grpc.status, details: rpc.message };
}

function onceDrained(call: grpc.ServerWritableStream<Buffer, Buffer>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      call.off('drain', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
