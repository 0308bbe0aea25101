/**
 * Toxiproxy's state as Prometheus metrics (Toxiproxy has no /metrics of its own): on each scrape,
 * GET /proxies from its API and answer with the TCP links' enabled state and their active toxics,
 * the same shape as the UDP proxy's udp_proxy_link_enabled and udp_proxy_toxics.
 *
 *   node toxiproxy-exporter.ts --toxiproxy http://127.0.0.1:8474 --listen 127.0.0.1:9101
 *
 * Only Node's built-in modules: the lab runs this one file in a container of the runtime image.
 */
import { createServer, type Server } from 'node:http';

interface ToxiproxyToxic {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
}

interface ToxiproxyProxy {
  name: string;
  enabled: boolean;
  toxics: ToxiproxyToxic[];
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** The exposition text for Toxiproxy's proxies (undefined: the API did not answer). */
export function renderToxiproxyMetrics(proxies: Record<string, ToxiproxyProxy> | undefined): string {
  const lines = [
    '# HELP toxiproxy_up 1 when the Toxiproxy API answered this scrape',
    '# TYPE toxiproxy_up gauge',
    `toxiproxy_up ${proxies ? 1 : 0}`,
  ];
  if (!proxies) return `${lines.join('\n')}\n`;
  const list = Object.values(proxies).sort((a, b) => a.name.localeCompare(b.name));
  lines.push(
    '# HELP toxiproxy_link_enabled 1 when the TCP link forwards, 0 when it is down',
    '# TYPE toxiproxy_link_enabled gauge',
  );
  for (const p of list) lines.push(`toxiproxy_link_enabled{proxy="${label(p.name)}"} ${p.enabled ? 1 : 0}`);
  lines.push(
    '# HELP toxiproxy_toxics Toxics active per TCP link, type and stream',
    '# TYPE toxiproxy_toxics gauge',
  );
  for (const p of list) {
    const counts = new Map<string, number>();
    for (const t of p.toxics ?? []) {
      const key = `proxy="${label(p.name)}",type="${label(t.type)}",stream="${label(t.stream)}"`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of [...counts].sort()) lines.push(`toxiproxy_toxics{${key}} ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

async function fetchProxies(toxiproxy: string): Promise<Record<string, ToxiproxyProxy> | undefined> {
  try {
    const res = await fetch(`${toxiproxy}/proxies`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    return (await res.json()) as Record<string, ToxiproxyProxy>;
  } catch {
    return undefined;
  }
}

/** Serves /metrics (and /healthz) on host:port; resolves once listening. */
export function serveToxiproxyMetrics(toxiproxy: string, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void fetchProxies(toxiproxy).then((proxies) => {
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(renderToxiproxyMetrics(proxies));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function arg(argv: readonly string[], name: string): string {
  const i = argv.indexOf(name);
  const value = i >= 0 ? argv[i + 1] : undefined;
  if (value === undefined) {
    process.stderr.write(
      `usage: toxiproxy-exporter.ts --toxiproxy URL --listen HOST:PORT (missing ${name})\n`,
    );
    process.exit(2);
  }
  return value;
}

if (process.argv[1] === import.meta.filename) {
  const argv = process.argv.slice(2);
  const toxiproxy = arg(argv, '--toxiproxy').replace(/\/+$/, '');
  const listen = arg(argv, '--listen');
  const at = listen.lastIndexOf(':');
  const port = Number(listen.slice(at + 1));
  if (at < 0 || !Number.isInteger(port)) {
    process.stderr.write(`--listen ${listen}: expected HOST:PORT\n`);
    process.exit(2);
  }
  await serveToxiproxyMetrics(toxiproxy, listen.slice(0, at), port);
  process.stdout.write(`toxiproxy exporter on ${listen} for ${toxiproxy}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
