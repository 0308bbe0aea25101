/**
 * An Iroh (QUIC) echo pair on loopback with relays and discovery off: the server echoes each
 * bidirectional stream, the client dials the server by id at an address of our choosing (a proxy
 * link), so QUIC traffic can be pushed through the UDP toxic proxy.
 */
import { bindEndpoint, type Connection, type Endpoint } from '../../node/transport/index.ts';

export const ECHO_ALPN = 'blixard-lab/echo/1';
const MAX_MESSAGE = 16 * 1024 * 1024;

/** An Iroh node id (base32 public key). */
export type EndpointId = string;

function bindLoopbackEndpoint(alpns: string[]): Promise<Endpoint> {
  return bindEndpoint({ bindAddr: '127.0.0.1:0', alpns });
}

/** A probe that goes away mid-echo (a cut link, a closed client) ends its stream or connection: the echo goes on. */
const streamDropped = (): void => undefined;

export interface IrohEchoServer {
  readonly id: EndpointId;
  /** The server's own UDP address (127.0.0.1:port): the upstream of a proxy link. */
  readonly address: string;
  close(): Promise<void>;
}

async function echoStreams(conn: Connection): Promise<void> {
  for (;;) {
    const bi = await conn.acceptBi();
    void (async () => {
      const data = await bi.recv.readToEnd(MAX_MESSAGE);
      await bi.send.writeAll(data, true);
    })().catch(streamDropped);
  }
}

export async function startIrohEchoServer(): Promise<IrohEchoServer> {
  const endpoint = await bindLoopbackEndpoint([ECHO_ALPN]);
  const connections = new Set<Connection>();
  void (async () => {
    for (;;) {
      const incoming = await endpoint.acceptNext();
      if (!incoming) return;
      void (async () => {
        const conn = await incoming.accept();
        connections.add(conn);
        await echoStreams(conn).finally(() => connections.delete(conn));
      })().catch(streamDropped);
    }
  })().catch(streamDropped);
  const address = endpoint.boundSockets().find((s) => s.startsWith('127.0.0.1:')) ?? '';
  return {
    id: endpoint.id(),
    address,
    async close() {
      for (const conn of connections) conn.close(0, '');
      await endpoint.close();
    },
  };
}

export interface IrohEchoClient {
  readonly connection: Connection;
  /** Sends `size` bytes on a fresh stream and waits for the echo; resolves with the round trip in ms. */
  roundTrip(size?: number): Promise<number>;
  close(): Promise<void>;
}

/** Connects to `server` at `viaAddress` (e.g. a proxy link's listen address) only. */
export async function connectIrohEcho(server: EndpointId, viaAddress: string): Promise<IrohEchoClient> {
  const endpoint = await bindLoopbackEndpoint([]);
  let connection: Connection;
  try {
    connection = await endpoint.connect(server, [viaAddress], ECHO_ALPN);
  } catch (error) {
    await endpoint.close();
    throw error;
  }
  return {
    connection,
    async roundTrip(size = 64) {
      const payload = Buffer.alloc(size, 7);
      const start = performance.now();
      const bi = await connection.openBi();
      await bi.send.writeAll(payload, true);
      const echoed = await bi.recv.readToEnd(MAX_MESSAGE);
      if (echoed.length !== size) throw new Error(`echo returned ${echoed.length} of ${size} bytes`);
      return performance.now() - start;
    },
    async close() {
      connection.close(0, '');
      await endpoint.close();
    },
  };
}
