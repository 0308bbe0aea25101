/** A link on both transports through the real Toxiproxy and the UDP toxic proxy, driven by one API. */
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTcp, openUdpProbe, tcpRoundTrip, type UdpProbe } from '../echo/index.ts';
import { type ProxyBench, startProxyBench } from '../testing/index.ts';
import { createLinkSet, type Link, type LinkSet } from './link-set.ts';
import { LinkSpecError } from './toxic-spec.ts';

let bench: ProxyBench;
let links: LinkSet;
let link: Link;

const port = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

beforeAll(async () => {
  bench = await startProxyBench(7);
  links = createLinkSet({ tcpAdmin: bench.toxiproxy.url, udpAdmin: bench.udpProxy.url });
  link = await links.create({
    name: 'n1-to-n2',
    tcp: { listen: '127.0.0.1:0', upstream: `127.0.0.1:${bench.tcpEcho.port}` },
    udp: { listen: '127.0.0.1:0', upstream: `127.0.0.1:${bench.udpEcho.port}` },
  });
});
afterAll(() => bench?.close());

async function probeBoth(seq: number): Promise<{ tcp: number | null; udp: number | null }> {
  let tcpSocket: net.Socket | null = null;
  let udp: UdpProbe | null = null;
  try {
    tcpSocket = await connectTcp(port(link.listen('tcp'))).catch(() => null);
    udp = await openUdpProbe(port(link.listen('udp')));
    const tcp = tcpSocket ? await tcpRoundTrip(tcpSocket, 1000) : null;
    return { tcp, udp: await udp.roundTrip(seq, 1000) };
  } finally {
    tcpSocket?.destroy();
    await udp?.close();
  }
}

describe('createLinkSet', () => {
  it('adds one latency toxic on both transports and it shows on both', async () => {
    expect(link.transports).toEqual(['tcp', 'udp']);
    await link.addToxic({ name: 'lag', type: 'latency', attributes: { latency: 30 } });
    const rtt = await probeBoth(1);
    expect(rtt.tcp).toBeGreaterThanOrEqual(30);
    expect(rtt.udp).toBeGreaterThanOrEqual(30);
    await link.removeToxic('lag');
  });

  it('cut stops both transports and heal restores them', async () => {
    await links.cut([link]);
    expect(await probeBoth(2)).toEqual({ tcp: null, udp: null });
    await links.heal([link]);
    const healed = await probeBoth(3);
    expect(healed.tcp).not.toBeNull();
    expect(healed.udp).not.toBeNull();
  });

  it('refuses a UDP-only toxic on TCP before touching either server', async () => {
    await expect(link.addToxic({ type: 'loss' })).rejects.toBeInstanceOf(LinkSpecError);
    await expect(link.addToxic({ type: 'latency', attributes: { latency: -2 } })).rejects.toThrow(
      /attributes\.latency/,
    );
    const name = await link.addToxic(
      { type: 'loss', attributes: { probability: 0.5 } },
      { transports: ['udp'] },
    );
    expect(name).toBe('loss_downstream');
    await link.clearToxics();
  });

  it('undoes a toxic on one transport when the other refuses it', async () => {
    // The UDP side already has a toxic of this name, so only the TCP add succeeds and must be undone.
    await link.addToxic(
      { name: 'dup', type: 'latency', attributes: { latency: 1 } },
      { transports: ['udp'] },
    );
    await expect(
      link.addToxic({ name: 'dup', type: 'latency', attributes: { latency: 5 } }),
    ).rejects.toThrow();
    const tcpToxics = await (await fetch(`${bench.toxiproxy.url}/proxies/n1-to-n2/toxics`)).json();
    expect(tcpToxics).toEqual([]);
    await links.reset();
    expect(await (await fetch(`${bench.udpProxy.url}/proxies/n1-to-n2/toxics`)).json()).toEqual([]);
  });
});
