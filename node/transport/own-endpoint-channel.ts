/**
 * An Iroh channel that dials from endpoints of its own: every (re)dial binds a fresh one with the
 * given identity, closed with the connection it made (IrohChannel's `dialEndpoint`).
 *
 * Every caller outside a node (the lab's client, workloads, link probes, health waits) dials through
 * these, as the node dials its peers: an endpoint keeps every address it ever learnt for a node —
 * a restarted node's old process, the far end of another link — and may dial over such a path long
 * after it died, or fail handshakes to a restarted node for tens of seconds; a fresh one knows only
 * the addresses it is given.
 */
import { IrohChannel } from './iroh-channel.ts';
import { bindIrohEndpoint, type IrohPeerAddress } from './iroh-endpoint.ts';
import type { SecretKey } from './native-iroh.ts';

export interface OwnEndpointOptions {
  /** The identity to dial with (an admitted client's); a random one when absent. */
  secretKey?: SecretKey;
  /** Where each endpoint binds (default 127.0.0.1:0). */
  bindAddress?: string;
  connectTimeoutMs?: number;
}

export class OwnEndpointIrohChannel extends IrohChannel {
  constructor(peer: IrohPeerAddress, options: OwnEndpointOptions = {}) {
    super(undefined, peer, {
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
      dialEndpoint: () =>
        bindIrohEndpoint({
          bindAddress: options.bindAddress ?? '127.0.0.1:0',
          ...(options.secretKey && { secretKey: options.secretKey }),
        }),
    });
  }
}
