/**
 * An Iroh channel on an endpoint of its own, bound on first use and closed with the channel.
 *
 * Callers outside a node (the lab's client, workloads, link probes, health waits) dial through these
 * rather than one long-lived endpoint: after a node restarts, an endpoint that knew the old process
 * can fail handshakes to the new one for tens of seconds, while a fresh endpoint connects at once.
 * Dropping the channel and making a new one is therefore the whole reconnect.
 */

import type { Connection, Endpoint, SecretKey } from '@number0/iroh';
import { orAbsent } from '../lib/index.ts';
import type { CallOptions, RpcChannel } from './channel.ts';
import { IrohChannel } from './iroh-channel.ts';
import { bindIrohEndpoint, type IrohPeerAddress } from './iroh-endpoint.ts';

export interface OwnEndpointOptions {
  /** The identity to dial with (an admitted client's); a random one when absent. */
  secretKey?: SecretKey;
  /** Where the endpoint binds (default 127.0.0.1:0). */
  bindAddress?: string;
  connectTimeoutMs?: number;
}

export class OwnEndpointIrohChannel implements RpcChannel {
  readonly transport = 'iroh' as const;
  readonly peer: IrohPeerAddress;
  readonly #inner: Promise<{ endpoint: Endpoint; channel: IrohChannel }>;

  constructor(peer: IrohPeerAddress, options: OwnEndpointOptions = {}) {
    this.peer = peer;
    this.#inner = bindIrohEndpoint({
      bindAddress: options.bindAddress ?? '127.0.0.1:0',
      ...(options.secretKey && { secretKey: options.secretKey }),
    }).then((endpoint) => ({
      endpoint,
      channel: new IrohChannel(
        endpoint,
        peer,
        options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {},
      ),
    }));
    // A failed bind surfaces on the first call; it must not also surface as an unhandled rejection.
    this.#inner.catch(() => undefined); // observed; the failure is the first call's to report
  }

  async unary(service: string, method: string, request: Uint8Array, opts?: CallOptions): Promise<Uint8Array> {
    return (await this.#inner).channel.unary(service, method, request, opts);
  }

  async *serverStream(
    service: string,
    method: string,
    request: Uint8Array,
    opts?: CallOptions,
  ): AsyncGenerator<Uint8Array> {
    yield* (await this.#inner).channel.serverStream(service, method, request, opts);
  }

  /** The QUIC connection (dialled if need be): its paths and statistics. */
  async connect(): Promise<Connection> {
    return (await this.#inner).channel.connect();
  }

  async close(): Promise<void> {
    const inner = await orAbsent(this.#inner);
    if (!inner) return;
    await inner.channel.close();
    await inner.endpoint.close();
  }
}
