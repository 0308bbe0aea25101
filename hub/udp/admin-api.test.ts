/** The admin API over HTTP: Toxiproxy's shapes through its own client, and bad input answered, not fatal. */
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUdpProbe, startUdpEchoServer, type UdpEchoServer } from '../echo/index.ts';
import { startUdpToxicProxy, type UdpToxicProxy } from './udp-toxic-proxy.ts';

/** Loose view of any admin reply; each test reads the fields it expects. */
// biome-ignore lint/suspicious/noExplicitAny: admin replies are arbitrary JSON, checked field by field.
type ApiReply = any;

let server: UdpToxicProxy;
let echo: UdpEchoServer;

beforeAll(async () => {
  echo = await startUdpEchoServer();
  server = await startUdpToxicProxy({ seed: 1 });
});
afterAll(async () => {
  await server.close();
  await echo.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: ApiReply }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

describe('admin API', () => {
  it('is driven by toxiproxy-node-client like Toxiproxy itself', async () => {
    const client = new Toxiproxy(server.url);
    expect(JSON.parse(await client.getVersion())).toHaveProperty('version');
    const proxy = await client.createProxy({
      name: 'c1',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    expect(proxy).toMatchObject({ name: 'c1', enabled: true, upstream: `127.0.0.1:${echo.port}` });
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);

    const toxic = await proxy.addToxic({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 20, jitter: 0 },
    });
    expect(toxic.toJson()).toEqual({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 20, jitter: 0 },
    });
    const updated = await toxic.update({ ...toxic.toJson(), attributes: { latency: 40, jitter: 0 } });
    expect(updated.attributes).toEqual({ latency: 40, jitter: 0 });
    expect((await proxy.getToxic('slow')).attributes).toEqual({ latency: 40, jitter: 0 });

    const all = await client.getAll();
    expect(Object.keys(all)).toContain('c1');
    const down = await proxy.update({ ...proxy.toJson(), enabled: false });
    expect(down.enabled).toBe(false);

    const populated = await client.populate([
      { name: 'c1', listen: proxy.listen, upstream: proxy.upstream },
      { name: 'c2', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` },
    ]);
    expect(Object.keys(populated).sort()).toEqual(['c1', 'c2']);

    await client.reset();
    const afterReset = await client.get('c1');
    expect(afterReset.enabled).toBe(true);
    expect((await call('GET', '/proxies/c1/toxics')).json).toEqual([]);

    await (await client.get('c2')).remove();
    await afterReset.remove();
    expect(await client.getAll()).toEqual({});
  });

  it('answers bad input with 400/404/409 naming the field, and keeps forwarding', async () => {
    const created = await call('POST', '/proxies', {
      name: 'e1',
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${echo.port}`,
    });
    expect(created.status).toBe(201);
    const listen: string = created.json.listen;

    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/proxies', '{"name": "x",', 400, 'body'],
      ['POST', '/proxies', { listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }, 400, 'name'],
      ['POST', '/proxies', { name: 'x', listen: '127.0.0.1:0' }, 400, 'upstream'],
      ['POST', '/proxies', { name: 'x', listen: 'nonsense', upstream: '127.0.0.1:1' }, 400, 'listen'],
      ['POST', '/proxies', { name: 'e1', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' }, 409, 'name'],
      ['POST', '/proxies', { name: 'x', listen, upstream: '127.0.0.1:1' }, 409, 'listen'],
      ['POST', '/proxies/e1', { enabled: 'yes' }, 400, 'enabled'],
      ['GET', '/proxies/missing', undefined, 404, 'proxy'],
      ['POST', '/proxies/e1/toxics', { type: 'warp' }, 400, 'type'],
      [
        'POST',
        '/proxies/e1/toxics',
        { type: 'latency', attributes: { latency: -5 } },
        400,
        'attributes.latency',
      ],
      ['POST', '/proxies/e1/toxics', { type: 'loss', toxicity: 1.2 }, 400, 'toxicity'],
      ['POST', '/proxies/e1/toxics', { type: 'loss', toxicity: -0.1 }, 400, 'toxicity'],
      ['GET', '/proxies/e1/toxics/missing', undefined, 404, 'toxic'],
      ['DELETE', '/proxies/e1/toxics/missing', undefined, 404, 'toxic'],
      ['POST', '/populate', { not: 'an array' }, 400, 'body'],
      ['POST', '/populate', [{ name: 'p', listen: '127.0.0.1:0' }], 400, '[0].upstream'],
    ];
    for (const [method, path, body, status, field] of cases) {
      const reply = await call(method, path, body);
      expect({ method, path, status: reply.status, field: reply.json?.field }).toEqual({
        method,
        path,
        status,
        field,
      });
      expect(reply.json.error).toContain(field);
      expect(reply.json.status).toBe(status);
    }
    expect((await call('POST', '/proxies/e1/toxics', { type: 'loss', name: 'l', toxicity: 0 })).status).toBe(
      200,
    );
    const dup = await call('POST', '/proxies/e1/toxics', { type: 'loss', name: 'l' });
    expect([dup.status, dup.json.field]).toEqual([409, 'name']);

    // Still alive and forwarding.
    const client = await openUdpProbe(Number(listen.split(':')[1]));
    expect(await client.roundTrip(1, 3000)).not.toBeNull();
    await client.close();
    expect((await call('GET', '/proxies/e1/stats')).json.upstream.packetsOut).toBe(1);
    expect((await call('DELETE', '/proxies/e1')).status).toBe(204);
  });

  it('serves Prometheus metrics with per-link counters', async () => {
    await call('POST', '/proxies', { name: 'm1', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('udp_proxy_packets_total{proxy="m1",direction="upstream",outcome="in"} 0');
    expect(text).toContain('udp_proxy_link_enabled{proxy="m1"} 1');
    await call('DELETE', '/proxies/m1');
  });
});
