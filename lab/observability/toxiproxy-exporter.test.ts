/**
 * The Toxiproxy exporter against a real toxiproxy-server: links and toxics appear as they are added,
 * a disabled link reads 0, and an unreachable Toxiproxy reads toxiproxy_up 0.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToxiproxyServer, type ToxiproxyServer } from '../../hub/tcp/index.ts';
import { freeTcpPort } from '../../node/lib/index.ts';
import { renderToxiproxyMetrics, serveToxiproxyMetrics } from './toxiproxy-exporter.ts';

let toxiproxy: ToxiproxyServer;
let exporter: Server;
let metricsUrl: string;

beforeAll(async () => {
  toxiproxy = await startToxiproxyServer();
  const port = await freeTcpPort();
  exporter = await serveToxiproxyMetrics(toxiproxy.url, '127.0.0.1', port);
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => exporter?.close(r));
  await toxiproxy?.close();
});

const api = (path: string, body: unknown) =>
  fetch(`${toxiproxy.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => {
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  });

describe('toxiproxy exporter', () => {
  it('exports links and toxics as Toxiproxy reports them', async () => {
    const port = await freeTcpPort();
    await api('/proxies', {
      name: 'n1-n2',
      listen: `127.0.0.1:${port}`,
      upstream: '127.0.0.1:1',
      enabled: true,
    });
    let text = await (await fetch(metricsUrl)).text();
    expect(text).toContain('toxiproxy_up 1');
    expect(text).toContain('toxiproxy_link_enabled{proxy="n1-n2"} 1');
    expect(text).not.toMatch(/^toxiproxy_toxics\{/m);

    await api('/proxies/n1-n2/toxics', {
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      attributes: { latency: 5 },
    });
    await api('/proxies/n1-n2/toxics', {
      name: 'cap',
      type: 'bandwidth',
      stream: 'upstream',
      attributes: { rate: 10 },
    });
    await api('/proxies/n1-n2', { enabled: false });
    text = await (await fetch(metricsUrl)).text();
    expect(text).toContain('toxiproxy_link_enabled{proxy="n1-n2"} 0');
    expect(text).toContain('toxiproxy_toxics{proxy="n1-n2",type="latency",stream="downstream"} 1');
    expect(text).toContain('toxiproxy_toxics{proxy="n1-n2",type="bandwidth",stream="upstream"} 1');
  });

  it('reads toxiproxy_up 0 when Toxiproxy does not answer, and escapes label values', async () => {
    expect(renderToxiproxyMetrics(undefined)).toBe(
      '# HELP toxiproxy_up 1 when the Toxiproxy API answered this scrape\n# TYPE toxiproxy_up gauge\ntoxiproxy_up 0\n',
    );
    const port = await freeTcpPort();
    const dead = await serveToxiproxyMetrics(`http://127.0.0.1:${await freeTcpPort()}`, '127.0.0.1', port);
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('toxiproxy_up 0');
    } finally {
      await new Promise((r) => dead.close(r));
    }
    const text = renderToxiproxyMetrics({ 'a"b': { name: 'a"b', enabled: true, toxics: [] } });
    expect(text).toContain('toxiproxy_link_enabled{proxy="a\\"b"} 1');
  });
});
