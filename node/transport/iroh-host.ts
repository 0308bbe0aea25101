/**
 * Accepts Iroh connections for a node: refuses node ids outside the allowlist,
 * then hands each connection to the protocol registered for its ALPN (RPC,
 * blobs). Every failure stays with its connection; the accept loop goes on.
 */
import { firstLine } from './iroh-endpoint.ts';
import type { Connection, Endpoint } from './native-iroh.ts';

export interface IrohProtocol {
  readonly alpn: string;
  handle(conn: Connection, remoteId: string): void;
}

/** Application close codes, visible to the peer. */
export const CloseCode = {
  Normal: 0,
  NotAdmitted: 403,
  UnknownAlpn: 404,
  TooManyStalledStreams: 429,
  ShuttingDown: 503,
} as const;

export const NOT_ADMITTED_REASON = 'node id not admitted';

export interface IrohHostOptions {
  /** Decides which remote node ids may connect; undefined admits everyone. */
  admit?: (remoteId: string) => boolean;
  onRefused?: (remoteId: string, reason: string) => void;
  onConnection?: (conn: Connection, remoteId: string, alpn: string) => void;
}

export class IrohHost {
  readonly endpoint: Endpoint;
  private readonly protocols = new Map<string, IrohProtocol>();
  private readonly options: IrohHostOptions;
  private readonly connections = new Set<Connection>();
  private running: Promise<void> | undefined;
  refused = 0;

  constructor(endpoint: Endpoint, options: IrohHostOptions = {}) {
    this.endpoint = endpoint;
    this.options = options;
  }

  add(protocol: IrohProtocol): this {
    this.protocols.set(protocol.alpn, protocol);
    return this;
  }

  start(): void {
    this.running ??= this.acceptLoop();
  }

  get openConnections(): number {
    return this.connections.size;
  }

  async stop(): Promise<void> {
    for (const conn of this.connections) {
      conn.close(CloseCode.ShuttingDown, 'shutting down');
    }
    await this.endpoint.close();
    await this.running;
  }

  private async acceptLoop(): Promise<void> {
    for (;;) {
      let incoming: Awaited<ReturnType<Endpoint['acceptNext']>>;
      try {
        incoming = await this.endpoint.acceptNext();
      } catch {
        if (this.endpoint.isClosed()) return;
        continue;
      }
      if (incoming === null) return;
      void this.accept(incoming).catch(() => {
        // A failed handshake concerns that peer only.
      });
    }
  }

  private async accept(incoming: NonNullable<Awaited<ReturnType<Endpoint['acceptNext']>>>): Promise<void> {
    const conn = await incoming.accept();
    const alpn = conn.alpn();
    const remoteId = conn.remoteId();
    if (this.options.admit && !this.options.admit(remoteId)) {
      this.refused += 1;
      this.options.onRefused?.(remoteId, NOT_ADMITTED_REASON);
      conn.close(CloseCode.NotAdmitted, NOT_ADMITTED_REASON);
      return;
    }
    const protocol = this.protocols.get(alpn);
    if (protocol === undefined) {
      conn.close(CloseCode.UnknownAlpn, `unknown ALPN ${alpn}`);
      return;
    }
    this.connections.add(conn);
    void conn.closed().then(
      () => this.connections.delete(conn),
      (err: unknown) => {
        this.connections.delete(conn);
        return firstLine(err);
      },
    );
    this.options.onConnection?.(conn, remoteId, alpn);
    protocol.handle(conn, remoteId);
  }
}
