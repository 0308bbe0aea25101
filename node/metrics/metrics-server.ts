/** `/metrics` (Prometheus text) and `/healthz` on the metrics port. */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  readonly address: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  bindAddress: string,
  registry: Registry,
  healthy: () => { ok: boolean; detail: Record<string, unknown> },
  beforeScrape: () => void = () => {},
): Promise<MetricsServer> {
  const at = bindAddress.lastIndexOf(':');
  const host = bindAddress.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(bindAddress.slice(at + 1));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      beforeScrape();
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(`${String(err)}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const h = healthy();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(h)}\n`);
      return;
    }
    res.writeHead(404).end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`metrics bind ${bindAddress}: ${err.message}`)));
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? `${host}:${addr.port}` : bindAddress;
  return {
    address: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
