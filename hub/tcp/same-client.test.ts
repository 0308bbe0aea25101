/**
 * One piece of toxiproxy-node-client code configures both the real Toxiproxy (TCP) and the UDP toxic
 * proxy, and the same latency toxic shows in the round trip of a TCP echo and of a UDP echo.
 */
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTcp, openUdpProbe, tcpRoundTrip } from '../echo/index.ts';
import { type ProxyBench, startProxyBench } from '../testing/index.ts';

let bench: ProxyBench;

beforeAll(async () => {
  bench = await startProxyBench(42);
});
afterAll(() => bench?.close());

/** The code under test: identical for both servers. Returns the port the link listens on. */
async function slowLink(adminUrl: string, upstreamPort: number, latencyMs: number): Promise<number> {
  const client = new Toxiproxy(adminUrl);
  const proxy = await client.createProxy({
    name: 'parity',
    listen: '127.0.0.1:0',
    upstream: `127.0.0.1:${upstreamPort}`,
  });
  await proxy.addToxic({
    name: 'lag',
    type: 'latency',
    stream: 'downstream',
    toxicity: 1,
    attributes: { latency: latencyMs, jitter: 0 },
  });
  const shown = (await client.get('parity')).toJson();
  expect(shown).toMatchObject({ name: 'parity', enabled: true });
  return Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
}

describe('one Toxiproxy client, two transports', () => {
  it('reports a version on both servers', async () => {
    for (const url of [bench.toxiproxy.url, bench.udpProxy.url]) {
      expect(JSON.parse(await new Toxiproxy(url).getVersion())).toHaveProperty('version');
    }
  });

  it('the same latency toxic shows on a TCP echo and on a UDP echo', async () => {
    const latency = 40;
    const tcpPort = await slowLink(bench.toxiproxy.url, bench.tcpEcho.port, latency);
    const udpPort = await slowLink(bench.udpProxy.url, bench.udpEcho.port, latency);

    const tcp = await connectTcp(tcpPort);
    const udp = await openUdpProbe(udpPort);
    try {
      for (let i = 0; i < 3; i++) {
        const tcpRtt = await tcpRoundTrip(tcp, 5000);
        const udpRtt = await udp.roundTrip(i, 5000);
        expect(tcpRtt).not.toBeNull();
        expect(udpRtt).not.toBeNull();
        expect(tcpRtt).toBeGreaterThanOrEqual(latency);
        expect(udpRtt).toBeGreaterThanOrEqual(latency);
      }
    } finally {
      tcp.destroy();
      await udp.close();
    }

    // Reset clears the toxics on both, through the same client call.
    for (const url of [bench.toxiproxy.url, bench.udpProxy.url]) {
      const client = new Toxiproxy(url);
      await client.reset();
      expect((await client.get('parity')).toJson().enabled).toBe(true);
      await (await client.get('parity')).remove();
    }
  });
});
