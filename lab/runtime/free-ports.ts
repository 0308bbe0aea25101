/** Finding a block of consecutive loopback ports free on both TCP and UDP (the process runtime's). */
import dgram from 'node:dgram';
import net from 'node:net';

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
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
