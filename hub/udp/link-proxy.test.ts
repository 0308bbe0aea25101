/** The proxy on real UDP sockets on 127.0.0.1: what a client sees through a link with each toxic. */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../node/lib/index.ts';
import { openUdpProbe, startUdpEchoServer, type UdpEchoServer, type UdpProbe } from '../echo/index.ts';
import { UdpLinkProxy } from './link-proxy.ts';

let echo: UdpEchoServer;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  echo = await startUdpEchoServer({ record: true });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
  echo.received.length = 0;
});
afterAll(async () => {
  await echo.close();
});

async function link(options: { idleTimeoutMs?: number; seed?: number } = {}): Promise<UdpLinkProxy> {
  const proxy = await UdpLinkProxy.start(
    { name: 'link', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}`, enabled: true },
    {
      seed: options.seed ?? 42,
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
    },
  );
  open.push(proxy);
  return proxy;
}

async function probe(port: number): Promise<UdpProbe> {
  const p = await openUdpProbe(port);
  open.push(p);
  return p;
}

/** Sends `count` datagrams and waits for as many replies as expected (bounded wait, no timing assertion). */
async function exchange(p: UdpProbe, count: number, expect = count, withinMs = 3000): Promise<number[]> {
  for (let i = 0; i < count; i++) p.send(i);
  return p.waitForReplies(expect, withinMs);
}

describe('UdpLinkProxy on loopback', () => {
  it('passes datagrams through both ways and counts them', async () => {
    const proxy = await link();
    const client = await probe(proxy.port);
    const replies = await exchange(client, 50);
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(proxy.counters.upstream).toMatchObject({ packetsIn: 50, packetsOut: 50, packetsDropped: 0 });
    expect(proxy.counters.downstream).toMatchObject({ packetsIn: 50, packetsOut: 50, packetsDropped: 0 });
    expect(proxy.counters.upstream.bytesOut).toBe(50 * 64);
  });

  it('gives each client address its own session and upstream socket', async () => {
    const proxy = await link();
    const a = await probe(proxy.port);
    const b = await probe(proxy.port);
    expect(await exchange(a, 5)).toHaveLength(5);
    expect(await exchange(b, 7)).toHaveLength(7);
    expect(a.replies).toHaveLength(5);
    expect(b.replies).toHaveLength(7);
    expect(new Set(echo.received.map((r) => r.port)).size).toBe(2);
    expect(proxy.counters.sessionsActive).toBe(2);
  });

  it('expires idle sessions', async () => {
    const proxy = await link({ idleTimeoutMs: 100 });
    const client = await probe(proxy.port);
    await exchange(client, 3);
    expect(proxy.counters.sessionsActive).toBe(1);
    for (let i = 0; i < 50 && proxy.counters.sessionsActive > 0; i++) await sleep(20);
    expect(proxy.counters.sessionsActive).toBe(0);
    // A later datagram opens a fresh session and still gets through.
    expect(await exchange(client, 1, 4)).toHaveLength(4);
    expect(proxy.counters.sessionsOpened).toBe(2);
  });

  it('shows an injected latency in the measured round trip', async () => {
    const proxy = await link();
    proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 30 } });
    proxy.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 20 } });
    const client = await probe(proxy.port);
    for (let i = 0; i < 5; i++) {
      const rtt = await client.roundTrip(i, 3000);
      expect(rtt).not.toBeNull();
      expect(rtt).toBeGreaterThanOrEqual(50);
    }
  });

  it('drops everything under loss with toxicity 1, and forwards again once it is removed', async () => {
    const proxy = await link();
    proxy.addToxic({ type: 'loss', name: 'cut', stream: 'upstream', toxicity: 1 });
    const client = await probe(proxy.port);
    expect(await exchange(client, 20, 1, 300)).toEqual([]);
    expect(proxy.counters.upstream.packetsDropped).toBe(20);
    proxy.removeToxic('cut');
    expect(await client.roundTrip(99, 3000)).not.toBeNull();
  });

  it('drops everything while the link is down and heals when enabled again', async () => {
    const proxy = await link();
    const client = await probe(proxy.port);
    expect(await client.roundTrip(1, 3000)).not.toBeNull();
    await proxy.update({ enabled: false });
    expect(await exchange(client, 10, 2, 300)).toEqual([1]);
    expect(proxy.counters.upstream.packetsDropped).toBe(10);
    await proxy.update({ enabled: true });
    expect(await client.roundTrip(2, 3000)).not.toBeNull();
  });

  it('limits bandwidth: a burst takes at least its size over the rate', async () => {
    const proxy = await link();
    // 20 KB/s; 20 datagrams of 1000 bytes = 20 KB, so the last leaves at least ~1 s after the first.
    proxy.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 20, queue_bytes: 100_000 } });
    const client = await probe(proxy.port);
    const start = performance.now();
    for (let i = 0; i < 20; i++) client.send(i, 1000);
    const replies = await client.waitForReplies(20, 5000);
    expect(replies).toHaveLength(20);
    expect(performance.now() - start).toBeGreaterThanOrEqual(950);
  });

  it('duplicates datagrams', async () => {
    const proxy = await link();
    proxy.addToxic({ type: 'duplicate', stream: 'downstream', attributes: { copies: 1 } });
    const client = await probe(proxy.port);
    const replies = await exchange(client, 10, 20);
    expect(replies).toHaveLength(20);
    expect(replies.filter((seq) => seq === 3)).toHaveLength(2);
  });

  it('reorders datagrams: each held one leaves after the next', async () => {
    const proxy = await link();
    proxy.addToxic({ type: 'reorder', stream: 'upstream', attributes: { delay: 1000 } });
    const client = await probe(proxy.port);
    const replies = await exchange(client, 6);
    expect(replies).toEqual([1, 0, 3, 2, 5, 4]);
  });

  it('makes the same random decisions for the same seed', async () => {
    const dropsFor = async (seed: number) => {
      const proxy = await link({ seed });
      proxy.addToxic({ type: 'loss', stream: 'upstream', attributes: { probability: 0.5 } });
      const client = await probe(proxy.port);
      // One client socket: loopback keeps its datagrams in order, so decisions are drawn in send order.
      const delivered = await exchange(client, 40, 40, 400);
      await proxy.close();
      return delivered;
    };
    const first = await dropsFor(5);
    expect(first.length).toBeGreaterThan(5);
    expect(first.length).toBeLessThan(35);
    expect(await dropsFor(5)).toEqual(first);
  });

  it('resolves a host name upstream, and counts datagrams to an unresolvable one as dropped', async () => {
    const named = await UdpLinkProxy.start(
      { name: 'named', listen: '127.0.0.1:0', upstream: `localhost:${echo.port}`, enabled: true },
      { seed: 1 },
    );
    open.push(named);
    expect(await (await probe(named.port)).roundTrip(1, 5000)).not.toBeNull();

    const nowhere = await UdpLinkProxy.start(
      { name: 'nowhere', listen: '127.0.0.1:0', upstream: 'no-such-host.invalid:9', enabled: true },
      { seed: 1 },
    );
    open.push(nowhere);
    const client = await probe(nowhere.port);
    client.send(1);
    for (let i = 0; i < 100 && nowhere.counters.upstream.packetsDropped === 0; i++) await sleep(50);
    expect(nowhere.counters.upstream).toMatchObject({ packetsIn: 1, packetsOut: 0, packetsDropped: 1 });
  });
});
