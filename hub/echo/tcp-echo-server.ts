/** A TCP echo server on loopback: the far end of a Toxiproxy link under test. */
import net from 'node:net';

export interface TcpEchoServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startTcpEchoServer(): Promise<TcpEchoServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Round trip of one small message over a fresh-or-given TCP connection, in ms; null on timeout. */
export async function tcpRoundTrip(socket: net.Socket, withinMs: number, size = 64): Promise<number | null> {
  const payload = Buffer.alloc(size, 7);
  const start = performance.now();
  return new Promise<number | null>((resolve) => {
    let got = 0;
    const done = (rtt: number | null) => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(rtt);
    };
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= size) done(performance.now() - start);
    };
    const timer = setTimeout(() => done(null), withinMs);
    socket.on('data', onData);
    socket.write(payload);
  });
}

export async function connectTcp(port: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
