/** Free loopback ports: one picked by the kernel (bind to 0, read, release), or a block of consecutive ones. */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

export async function portFree(port: number): Promise<boolean> {
  return (await tcpFree(port)) && (await udpFree(port));
}

/**
 * A base port B such that B..B+count-1 are free on TCP and UDP now. Starts at a random place in
 * 20000–44999 (below the kernel's ephemeral range) so parallel runs rarely collide.
 */
export async function findFreePortBlock(count: number, attempts = 50): Promise<number> {
  for (let a = 0; a < attempts; a++) {
    const base = 20000 + Math.floor(Math.random() * (25000 - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no block of ${count} free loopback ports found after ${attempts} tries`);
}
