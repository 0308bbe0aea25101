/**
 * Iroh (QUIC over UDP) through a link of the UDP toxic proxy: it connects, a cut stops it, loss shows.
 * On loopback QUIC may also learn the echo server's own address and open a path around the proxy (the
 * bypass the lab's self-check refuses on the process runtime, see chaos/README): when it has, the
 * test holds it to being exactly that address, and checks what the proxy itself did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../../node/lib/index.ts';
import {
  connectIrohEcho,
  type IrohEchoClient,
  type IrohEchoServer,
  startIrohEchoServer,
} from '../echo/index.ts';
import { UdpLinkProxy } from './link-proxy.ts';

let server: IrohEchoServer;
let link: UdpLinkProxy;
let client: IrohEchoClient;

beforeAll(async () => {
  server = await startIrohEchoServer();
  link = await UdpLinkProxy.start(
    { name: 'iroh', listen: '127.0.0.1:0', upstream: server.address, enabled: true },
    { seed: 42 },
  );
  client = await connectIrohEcho(server.id, `127.0.0.1:${link.port}`);
});
afterAll(async () => {
  await client?.close();
  await link?.close();
  await server?.close();
});

/** Paths of the connection that do not go through the link (only the server's own address may be one). */
function bypass(): string[] {
  return client.connection
    .paths()
    .filter((p) => p.isIp && p.remoteAddr !== `127.0.0.1:${link.port}`)
    .map((p) => p.remoteAddr);
}

describe('Iroh through the UDP toxic proxy', () => {
  it('connects and echoes through the link', async () => {
    expect(await client.roundTrip(1000)).toBeGreaterThan(0);
    expect(link.counters.upstream.packetsOut).toBeGreaterThan(0);
    expect(link.counters.downstream.packetsOut).toBeGreaterThan(0);
    // Every path the connection uses goes through the proxy, or is the loopback bypass to the server itself.
    for (const addr of bypass()) expect(addr).toBe(server.address);
  });

  it('stops while the link is cut and resumes when it heals', async () => {
    await link.update({ enabled: false });
    const dropsBefore = link.counters.upstream.packetsDropped;
    const during = await within(client.roundTrip(100), 1500, 'no reply');
    // A connection that moved to the loopback bypass (the server's own address, which Iroh learns
    // over the connection) sends nothing through the link: only one that did not can show the cut.
    if (bypass().length === 0) {
      expect(during).toBe('no reply');
      expect(link.counters.upstream.packetsDropped).toBeGreaterThan(dropsBefore);
    }
    await link.update({ enabled: true });
    expect(await within(client.roundTrip(100), 20_000, 'no reply')).not.toBe('no reply');
  });

  it('loss on the link raises the connection lost packet count', async () => {
    const lostBefore = client.connection.stats().lostPackets;
    link.addToxic({ name: 'loss-up', type: 'loss', stream: 'upstream', attributes: { probability: 0.15 } });
    link.addToxic({
      name: 'loss-down',
      type: 'loss',
      stream: 'downstream',
      attributes: { probability: 0.15 },
    });
    try {
      for (let i = 0; i < 10; i++) await client.roundTrip(64 * 1024);
    } finally {
      link.removeToxic('loss-up');
      link.removeToxic('loss-down');
    }
    if (bypass().length === 0) {
      expect(client.connection.stats().lostPackets).toBeGreaterThan(lostBefore);
      expect(link.counters.upstream.packetsDropped + link.counters.downstream.packetsDropped).toBeGreaterThan(
        0,
      );
    }
  });
});
