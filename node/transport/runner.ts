/**
 * The dual runner: serves one registry over gRPC, Iroh or both, as the node's
 * `[transport] mode` says, and stops them together.
 */
import { GrpcServer } from './grpc-server.ts';
import { bindIrohEndpoint, boundAddress, RPC_ALPN } from './iroh-endpoint.ts';
import { IrohHost, type IrohProtocol } from './iroh-host.ts';
import { loadOrCreateSecretKey } from './iroh-identity.ts';
import { DEFAULT_STREAM_LIMITS, type IrohStreamLimits } from './iroh-protocol-base.ts';
import { IrohRpcServer } from './iroh-rpc-server.ts';
import type { Endpoint } from './native-iroh.ts';
import type { ServiceRegistry } from './registry.ts';
import type { TransportMode } from './vocabulary.ts';

export interface TransportRunnerOptions {
  mode: TransportMode;
  registry: ServiceRegistry;
  grpc: { bindAddress: string };
  iroh: {
    bindAddress: string;
    secretKeyFile: string;
    relay?: 'disabled' | string[];
    /** Which remote node ids may connect; undefined admits all. */
    admit?: (remoteId: string) => boolean;
    /** More protocols on the same endpoint (e.g. blobs). */
    protocols?: IrohProtocol[];
    /** Stream limits and request read deadline of the RPC port; defaults to DEFAULT_STREAM_LIMITS. */
    streams?: Partial<IrohStreamLimits>;
  };
}

export class TransportRunner {
  readonly mode: TransportMode;
  readonly grpcServer: GrpcServer | undefined;
  readonly irohHost: IrohHost | undefined;
  /** The Iroh RPC port, when Iroh is served. */
  readonly rpcServer: IrohRpcServer | undefined;

  private constructor(mode: TransportMode, grpc?: GrpcServer, host?: IrohHost, rpc?: IrohRpcServer) {
    this.mode = mode;
    this.grpcServer = grpc;
    this.irohHost = host;
    this.rpcServer = rpc;
  }

  static async start(opts: TransportRunnerOptions): Promise<TransportRunner> {
    let grpc: GrpcServer | undefined;
    let host: IrohHost | undefined;
    let rpc: IrohRpcServer | undefined;
    try {
      if (opts.mode !== 'iroh') {
        grpc = new GrpcServer(opts.registry, { bindAddress: opts.grpc.bindAddress });
        await grpc.start();
      }
      if (opts.mode !== 'grpc') {
        const protocols = opts.iroh.protocols ?? [];
        const endpoint = await bindIrohEndpoint({
          bindAddress: opts.iroh.bindAddress,
          secretKey: await loadOrCreateSecretKey(opts.iroh.secretKeyFile),
          relay: opts.iroh.relay ?? 'disabled',
          alpns: [RPC_ALPN, ...protocols.map((p) => p.alpn)],
        });
        host = new IrohHost(endpoint, opts.iroh.admit === undefined ? {} : { admit: opts.iroh.admit });
        rpc = new IrohRpcServer(opts.registry, { ...DEFAULT_STREAM_LIMITS, ...opts.iroh.streams });
        host.add(rpc);
        for (const protocol of protocols) host.add(protocol);
        host.start();
      }
    } catch (err) {
      await grpc?.stop(0);
      await host?.stop();
      throw err;
    }
    return new TransportRunner(opts.mode, grpc, host, rpc);
  }

  get grpcAddress(): string | undefined {
    return this.grpcServer?.address;
  }

  get endpoint(): Endpoint | undefined {
    return this.irohHost?.endpoint;
  }

  get irohNodeId(): string | undefined {
    return this.irohHost?.endpoint.id().toString();
  }

  get irohAddress(): string | undefined {
    return this.irohHost === undefined ? undefined : boundAddress(this.irohHost.endpoint);
  }

  async stop(): Promise<void> {
    this.rpcServer?.stop();
    await Promise.all([this.grpcServer?.stop(), this.irohHost?.stop()]);
  }
}
