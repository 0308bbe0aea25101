/**
 * The lab's own client: the identity every node admits, and typed clients to each node over each
 * transport it serves, through the (client → node) links of the hub.
 */
import {
  BlixardService,
  ClusterService,
  createClient,
  GrpcChannel,
  type IrohPeerAddress,
  OwnEndpointIrohChannel,
  type RpcChannel,
  type TransportKind,
  type TransportMode,
  type TypedClient,
} from '../../node/transport/index.ts';
import { type IrohKey, secretKeyOf } from './iroh-key.ts';

export interface ServiceClients {
  transport: TransportKind;
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

export class LabClient {
  private readonly key: IrohKey;
  private readonly channels: RpcChannel[] = [];

  constructor(key: IrohKey) {
    this.key = key;
  }

  /**
   * Clients for one node on one transport, through its client link; channels are closed with the
   * LabClient. Each Iroh channel dials from an endpoint of its own (see OwnEndpointIrohChannel).
   */
  clients(
    target: NodeTarget,
    transport: TransportKind,
    options: { connectTimeoutMs?: number } = {},
  ): ServiceClients {
    const channel: RpcChannel =
      transport === 'grpc'
        ? new GrpcChannel(target.grpc)
        : this.irohChannel({ nodeId: target.irohId, addrs: [target.iroh] }, options);
    this.channels.push(channel);
    return {
      transport,
      channel,
      cluster: createClient(ClusterService, channel),
      blixard: createClient(BlixardService, channel),
    };
  }

  /** Typed clients over a channel made elsewhere (a system under test with a client of its own). */
  wrap(channel: RpcChannel): ServiceClients {
    return {
      transport: channel.transport,
      channel,
      cluster: createClient(ClusterService, channel),
      blixard: createClient(BlixardService, channel),
    };
  }

  /** An Iroh channel with the lab's identity on an endpoint of its own; the caller closes it. */
  irohChannel(peer: IrohPeerAddress, options: { connectTimeoutMs?: number; bindAddress?: string } = {}) {
    return new OwnEndpointIrohChannel(peer, { secretKey: secretKeyOf(this.key), ...options });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.channels.splice(0).map((c) => c.close()));
  }
}
