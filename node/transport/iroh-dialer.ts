/**
 * One client's QUIC connection to one peer over Iroh: dialled on first use, reused while it lives,
 * dialled afresh once it closed or was dropped. The RPC channel (IrohChannel) and the blob client
 * (node/p2p) hold their connection through this; they differ in ALPN and in how a failed dial is
 * reported.
 *
 * With `dialEndpoint`, every (re)dial goes out from a fresh endpoint, closed with the connection it
 * made, instead of from the shared `endpoint`. An endpoint keeps every address it ever learnt for a
 * node — including where that node's own incoming connections came from, which behind a chaos hub is
 * another link's session — and may dial a peer over such a path long after it died; a fresh one
 * knows only `peer.addrs`.
 */

import { orAbsent, release, withTimeout } from '../lib/index.ts';
import { dial, firstLine, type IrohPeerAddress, toEndpointAddr } from './iroh-endpoint.ts';
import type { Connection, Endpoint } from './native-iroh.ts';
import { Code, RpcError } from './status.ts';

export interface IrohDialerOptions {
  alpn: string;
  connectTimeoutMs: number;
  /** Binds an endpoint for one dial (see above); without it every dial goes out from `endpoint`. */
  dialEndpoint?: (() => Promise<Endpoint>) | undefined;
  /** The error a failed dial becomes, given the first line of why it failed. */
  connectError: (reason: string) => Error;
}

export class IrohDialer {
  readonly peer: IrohPeerAddress;
  /** The endpoint every dial goes out from, unless each dial binds its own (`dialEndpoint`). */
  private readonly endpoint: Endpoint | undefined;
  private readonly options: IrohDialerOptions;
  private connection: Promise<Connection> | undefined;
  /** The endpoint of the current dial, when each dial binds its own (`dialEndpoint`). */
  private dialing: Endpoint | undefined;
  private closed = false;

  constructor(endpoint: Endpoint | undefined, peer: IrohPeerAddress, options: IrohDialerOptions) {
    if (endpoint === undefined && options.dialEndpoint === undefined)
      throw new Error('an Iroh channel needs an endpoint or a dialEndpoint');
    this.endpoint = endpoint;
    this.peer = peer;
    this.options = options;
  }

  /** The live connection, dialling (again) when there is none or it closed. */
  connect(): Promise<Connection> {
    if (this.closed) return Promise.reject(new RpcError(Code.UNAVAILABLE, 'channel closed'));
    const current = this.connection;
    if (current !== undefined) {
      return current.then((conn) => (conn.closeReason() === null ? conn : this.redial(current)));
    }
    return this.redial(undefined);
  }

  /** The current connection if one is open, for status (RTT, paths, bytes); never dials. */
  async current(): Promise<Connection | undefined> {
    const conn = this.connection && (await orAbsent(this.connection));
    return conn && conn.closeReason() === null ? conn : undefined;
  }

  /**
   * Closes `conn` if it is still the current connection, so the next call dials afresh: after a
   * call got no answer the peer may be gone while QUIC still holds the connection until its idle
   * timeout.
   */
  drop(conn: Connection, reason: string): void {
    const current = this.connection;
    if (current === undefined) return;
    void current.then(
      (c) => {
        if (c !== conn || this.connection !== current) return;
        this.connection = undefined;
        c.close(0, reason);
      },
      () => {},
    );
  }

  /** Closes the connection and the last dial's own endpoint; no dial follows. */
  async close(): Promise<void> {
    this.closed = true;
    const conn = this.connection && (await orAbsent(this.connection));
    conn?.close(0, '');
    const dialing = this.dialing;
    this.dialing = undefined;
    if (dialing !== undefined && dialing !== this.endpoint) await release(dialing.close());
  }

  private redial(previous: Promise<Connection> | undefined): Promise<Connection> {
    if (this.connection !== previous) return this.connect();
    const timeout = this.options.connectTimeoutMs;
    const attempt = (async () => {
      const addr = await toEndpointAddr(this.peer);
      const dialing = async () => dial(await this.freshDialEndpoint(), addr, this.options.alpn);
      return withTimeout(dialing(), timeout, () => new Error(`no handshake within ${timeout} ms`));
    })().catch((err: unknown) => {
      if (this.connection === attempt) this.connection = undefined;
      throw this.options.connectError(firstLine(err));
    });
    this.connection = attempt;
    return attempt;
  }

  /** The endpoint this dial goes out from: the shared one, or a new one replacing the last dial's. */
  private async freshDialEndpoint(): Promise<Endpoint> {
    const bind = this.options.dialEndpoint;
    if (bind === undefined) return this.endpoint as Endpoint;
    this.retire(this.dialing);
    this.dialing = undefined;
    const endpoint = await bind();
    if (this.closed) {
      this.retire(endpoint);
      throw new Error('channel closed');
    }
    this.retire(this.dialing);
    this.dialing = endpoint;
    return endpoint;
  }

  /** Closes a dial endpoint (and with it any connection it still carries). */
  private retire(endpoint: Endpoint | undefined): void {
    if (endpoint !== undefined && endpoint !== this.endpoint) void release(endpoint.close());
  }
}
