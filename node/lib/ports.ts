/** Free loopback ports for processes the project starts: single ones or blocks, below the kernel's ephemeral range. */

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A loopback port free on TCP and UDP, outside the kernel's ephemeral range: a port the kernel hands
 * out for `bind(0)` (as every fresh Iroh dial endpoint does) could be taken between being found here
 * and being bound by the process it is for.
 */
export function freeTcpPort(): Promise<number> {
  return findFreePortBlock(1);
}

/** As freeTcpPort: free on both, outside the ephemeral range. */
export function freeUdpPort(): Promise<number> {
  return findFreePortBlock(1);
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

/** The low end of the kernel's ephemeral port range (Linux default 32768). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A base port B such that B..B+count-1 are free on TCP and UDP now, all below the kernel's ephemeral
 * range (so no `bind(0)` elsewhere can take them first), starting at a random place from 10000 so
 * parallel runs rarely collide.
 */
export async function findFreePortBlock(count: number, attempts = 50): Promise<number> {
  const span = ephemeralLow() - 10_000 - count;
  if (span <= 0) throw new Error(`no room for ${count} ports below the ephemeral range`);
  for (let a = 0; a < attempts; a++) {
    const base = 10_000 + Math.floor(Math.random() * span);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no block of ${count} free loopback ports found after ${attempts} tries`);
}
