/**
 * The lab's own client: one Iroh endpoint with the identity every node admits, and typed clients to
 * each node over each transport it serves, through the (client → node) links of the hub.
 */
import type { Endpoint } from '@number0/iroh';
import {
  BlixardService,
  bindIrohEndpoint,
  type CallOptions,
  ClusterService,
  createClient,
  GrpcChannel,
  IrohChannel,
  type RpcChannel,
  type TypedClient,
} from '../../node/transport/index.ts';
import type { TransportMode } from '../topology/index.ts';
import { type IrohKey, secretKeyOf } from './iroh-key.ts';

export type Transport = 'grpc' | 'iroh';

export interface ServiceClients {
  transport: Transport;
  cluster: TypedClient<typeof ClusterService>;
  blixard: TypedClient<typeof BlixardService>;
  channel: RpcChannel;
}

export interface NodeTarget {
  id: string;
  mode: TransportMode;
  irohId: string;
  /** The client link's addresses (host:port), as the lab's process reaches them. */
  grpc: string;
  iroh: string;
}

export function transportsOf(mode: TransportMode): Transport[] {
  return mode === 'grpc' ? ['grpc'] : mode === 'iroh' ? ['iroh'] : ['grpc', 'iroh'];
}

/**
 * An Iroh channel on an endpoint of its own (same identity), bound on first use and closed with
 * the channel. After a node restarts, an endpoint that knew the old process can fail handshakes
 * to the new one for tens of seconds, while a fresh endpoint connects at once.
 */
class OwnEndpointIrohChannel implements RpcChannel {
  readonly transport = 'iroh' as const;
  private readonly inner: Promise<{ endpoint: Endpoint; channel: IrohChannel }>;

  constructor(key: IrohKey, peer: { nodeId: string; addrs: string[] }, opts: { connectTimeoutMs?: number }) {
    this.inner = bindIrohEndpoint({ bindAddress: '127.0.0.1:0', secretKey: secretKeyOf(key) }).then(
      (endpoint) => ({ endpoint, channel: new IrohChannel(endpoint, peer, opts) }),
    );
    this.inner.catch(() => {});
  }

  async unary(service: string, method: string, request: Uint8Array, opts?: CallOptions): Promise<Uint8Array> {
    return (await this.inner).channel.unary(service, method, request, opts);
  }

  async *serverStream(
    service: string,
    method: string,
    request: Uint8Array,
    opts?: CallOptions,
  ): AsyncGenerator<Uint8Array> {
    yield* (await this.inner).channel.serverStream(service, method, request, opts);
  }

  async close(): Promise<void> {
    const inner = await this.inner.catch(() => undefined);
    await inner?.channel.close();
    await inner?.endpoint.close();
  }
}

export class LabClient {
  readonly endpoint: Endpoint | undefined;
  private readonly key: IrohKey;
  private readonly channels: RpcChannel[] = [];

  private constructor(key: IrohKey, endpoint: Endpoint | undefined) {
    this.key = key;
    this.endpoint = endpoint;
  }

  /** Binds an Iroh endpoint when `needsIroh` (some node serves Iroh). */
  static async open(key: IrohKey, needsIroh: boolean): Promise<LabClient> {
    if (!needsIroh) return new LabClient(key, undefined);
    const endpoint = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0', secretKey: secretKeyOf(key) });
    return new LabClient(key, endpoint);
  }

  /** Clients for one node on one transport; channels are closed with the LabClient. */
  clients(
    target: NodeTarget,
    transport: Transport,
    options: { connectTimeoutMs?: number; ownEndpoint?: boolean } = {},
  ): ServiceClients {
    let channel: RpcChannel;
    const timeouts = options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {};
    if (transport === 'grpc') {
      channel = new GrpcChannel(target.grpc);
    } else if (options.ownEndpoint) {
      if (!this.endpoint) throw new Error('the lab client has no Iroh endpoint (all nodes are in grpc mode)');
      channel = new OwnEndpointIrohChannel(
        this.key,
        { nodeId: target.irohId, addrs: [target.iroh] },
        timeouts,
      );
    } else {
      if (!this.endpoint) throw new Error('the lab client has no Iroh endpoint (all nodes are in grpc mode)');
      channel = new IrohChannel(this.endpoint, { nodeId: target.irohId, addrs: [target.iroh] }, timeouts);
    }
    this.channels.push(channel);
    return {
      transport,
      channel,
      cluster: createClient(ClusterService, channel),
      blixard: createClient(BlixardService, channel),
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.channels.splice(0).map((c) => c.close()));
    await this.endpoint?.close();
  }
}
