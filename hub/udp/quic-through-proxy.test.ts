/** Iroh (QUIC over UDP) through a link of the UDP toxic proxy: it connects, a cut stops it, loss shows. */
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

describe('Iroh through the UDP toxic proxy', () => {
  it('connects and echoes through the link', async () => {
    expect(await client.roundTrip(1000)).toBeGreaterThan(0);
    expect(link.counters.upstream.packetsOut).toBeGreaterThan(0);
    expect(link.counters.downstream.packetsOut).toBeGreaterThan(0);
    // Every path the connection uses goes through the proxy.
    for (const path of client.connection.paths().filter((p) => p.isIp)) {
      expect(path.remoteAddr).toBe(`127.0.0.1:${link.port}`);
    }
  });

  it('stops while the link is cut and resumes when it heals', async () => {
    await link.update({ enabled: false });
    const dropsBefore = link.counters.upstream.packetsDropped;
    expect(await within(client.roundTrip(100), 1500, 'no reply')).toBe('no reply');
    expect(link.counters.upstream.packetsDropped).toBeGreaterThan(dropsBefore);
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
    expect(client.connection.stats().lostPackets).toBeGreaterThan(lostBefore);
    expect(link.counters.upstream.packetsDropped + link.counters.downstream.packetsDropped).toBeGreaterThan(
      0,
    );
  });
});
