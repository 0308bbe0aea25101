/**
 * Shared accept loop for a stream-per-request protocol over Iroh: accepts bi
 * streams until the connection closes, each served on its own, none able to
 * take down the others or the node.
 */
import type { BiStream, Connection } from '@number0/iroh';
import type { IrohProtocol } from './iroh-host.ts';

export abstract class IrohProtocolBase implements IrohProtocol {
  abstract readonly alpn: string;
  private readonly stopping = new AbortController();

  protected get shutdown(): AbortSignal {
    return this.stopping.signal;
  }

  handle(conn: Connection, remoteId: string): void {
    void this.acceptStreams(conn, remoteId);
  }

  /** Aborts every call in flight (the node is stopping). */
  stop(): void {
    this.stopping.abort();
  }

  protected abstract serveStream(bi: BiStream, conn: Connection, remoteId: string): Promise<void>;

  private async acceptStreams(conn: Connection, remoteId: string): Promise<void> {
    for (;;) {
      let bi: BiStream;
      try {
        bi = await conn.acceptBi();
      } catch {
        return; // connection closed
      }
      void this.serveStream(bi, conn, remoteId).catch(() => {
        // serveStream reports its own failures to the peer; a throw here means the peer is gone.
      });
    }
  }
}
