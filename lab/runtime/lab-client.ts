/**
 * The lab's own client: one Iroh endpoint with the identity every node admits, and typed clients to
 * each node over each transport it serves, through the (client → node) links of the hub.
 */
import type { Endpoint } from '@number0/iroh';
import {
  BlixardService,
  bindIrohEndpoint,
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

export class LabClient {
  readonly endpoint: Endpoint | undefined;
  private readonly channels: RpcChannel[] = [];

  private constructor(endpoint: Endpoint | undefined) {
    this.endpoint = endpoint;
  }

  /** Binds an Iroh endpoint when `needsIroh` (some node serves Iroh). */
  static async open(key: IrohKey, needsIroh: boolean): Promise<LabClient> {
    if (!needsIroh) return new LabClient(undefined);
    const endpoint = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0', secretKey: secretKeyOf(key) });
    return new LabClient(endpoint);
  }

  /** Clients for one node on one transport; channels are closed with the LabClient. */
  clients(
    target: NodeTarget,
    transport: Transport,
    options: { connectTimeoutMs?: number } = {},
  ): ServiceClients {
    let channel: RpcChannel;
    if (transport === 'grpc') {
      channel = new GrpcChannel(target.grpc);
    } else {
      if (!this.endpoint) throw new Error('the lab client has no Iroh endpoint (all nodes are in grpc mode)');
      channel = new IrohChannel(
        this.endpoint,
        { nodeId: target.irohId, addrs: [target.iroh] },
        options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {},
      );
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
