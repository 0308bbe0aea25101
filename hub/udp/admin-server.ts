/**
 * The HTTP admin API, in Toxiproxy's shape (same paths, bodies, status codes and error JSON), so a
 * Toxiproxy client drives this UDP proxy and the real Toxiproxy with the same code. Additions:
 * GET /stats, GET /proxies/{name}/stats (per-link counters) and GET /metrics (Prometheus).
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { orAbsent } from '../../node/lib/index.ts';
import { ApiError } from './api-error.ts';
import type { LinkCounters } from './link-proxy.ts';
import type { UdpProxyCollection } from './proxy-collection.ts';
import { createProxyMetrics } from './proxy-metrics.ts';
import { ToxicSpecError } from './toxic-spec.ts';

export const UDP_PROXY_VERSION = '0.1.0-udp';
const MAX_BODY_BYTES = 1024 * 1024;

export interface AdminServer {
  /** Base URL, e.g. http://127.0.0.1:8474 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  contentType?: string;
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `request body over ${MAX_BODY_BYTES} bytes`, 'body');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim().length === 0) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `malformed JSON: ${(error as Error).message}`, 'body');
  }
}

function statsOf(counters: LinkCounters): LinkCounters {
  return structuredClone(counters);
}

export async function startAdminServer(
  collection: UdpProxyCollection,
  options: { host?: string; port?: number } = {},
): Promise<AdminServer> {
  const metrics = createProxyMetrics(collection);
  // Mutations run one at a time: a create and a populate of the same name must not interleave.
  let mutations: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = mutations.then(work, work);
    // The next mutation waits for this one to settle; its failure is the caller's, via `run`.
    mutations = orAbsent(run);
    return run;
  };

  async function route(method: string, path: string, request: http.IncomingMessage): Promise<Reply> {
    const parts = path
      .split('/')
      .filter((p) => p.length > 0)
      .map(decodeURIComponent);
    const [root, name, sub, toxicName, ...rest] = parts;
    const methodNotAllowed = (): Reply => {
      throw new ApiError(405, `method ${method} not allowed on ${path}`);
    };
    if (rest.length > 0) throw new ApiError(404, `no route ${path}`);

    if (root === 'version' && !name) {
      if (method !== 'GET') return methodNotAllowed();
      return { status: 200, body: `{"version": "${UDP_PROXY_VERSION}"}\n`, contentType: 'application/json' };
    }
    if (root === 'metrics' && !name) {
      if (method !== 'GET') return methodNotAllowed();
      return { status: 200, body: await metrics.metrics(), contentType: metrics.contentType };
    }
    if (root === 'stats' && !name) {
      if (method !== 'GET') return methodNotAllowed();
      return {
        status: 200,
        body: Object.fromEntries(collection.list().map((p) => [p.name, statsOf(p.counters)])),
      };
    }
    if (root === 'reset' && !name) {
      if (method !== 'POST') return methodNotAllowed();
      await serial(async () => collection.reset());
      return { status: 204 };
    }
    if (root === 'populate' && !name) {
      if (method !== 'POST') return methodNotAllowed();
      const body = await readJson(request);
      const { proxies, error } = await serial(() => collection.populate(body));
      const json = proxies.map((p) => p.toJSON());
      if (error) return { status: error.status, body: { ...error.toJSON(), proxies: json } };
      return { status: 201, body: { proxies: json } };
    }
    if (root !== 'proxies') throw new ApiError(404, `no route ${path}`);

    if (name === undefined) {
      if (method === 'GET') {
        return { status: 200, body: Object.fromEntries(collection.list().map((p) => [p.name, p.toJSON()])) };
      }
      if (method !== 'POST') return methodNotAllowed();
      const body = await readJson(request);
      const proxy = await serial(() => collection.create(body));
      return { status: 201, body: proxy.toJSON() };
    }

    if (sub === undefined) {
      if (method === 'GET') return { status: 200, body: collection.get(name).toJSON() };
      if (method === 'POST' || method === 'PATCH') {
        const body = await readJson(request);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new ApiError(400, 'must be a JSON object', 'body');
        }
        return serial(async () => {
          const proxy = collection.get(name);
          await proxy.update(body as Record<string, unknown>);
          return { status: 200, body: proxy.toJSON() };
        });
      }
      if (method === 'DELETE') {
        await serial(() => collection.remove(name));
        return { status: 204 };
      }
      return methodNotAllowed();
    }

    if (sub === 'stats' && toxicName === undefined) {
      if (method !== 'GET') return methodNotAllowed();
      return { status: 200, body: statsOf(collection.get(name).counters) };
    }
    if (sub !== 'toxics') throw new ApiError(404, `no route ${path}`);

    if (toxicName === undefined) {
      if (method === 'GET') return { status: 200, body: collection.get(name).toxics() };
      if (method !== 'POST') return methodNotAllowed();
      const body = await readJson(request);
      // Toxiproxy answers a created toxic with 200, not 201.
      return serial(async () => ({ status: 200, body: collection.get(name).addToxic(body) }));
    }
    if (method === 'GET') return { status: 200, body: collection.get(name).toxic(toxicName) };
    if (method === 'POST' || method === 'PATCH') {
      const body = await readJson(request);
      return serial(async () => ({ status: 200, body: collection.get(name).updateToxic(toxicName, body) }));
    }
    if (method === 'DELETE') {
      await serial(async () => collection.get(name).removeToxic(toxicName));
      return { status: 204 };
    }
    return methodNotAllowed();
  }

  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://admin').pathname;
    route(request.method ?? 'GET', path, request)
      .catch((error: unknown): Reply => {
        if (error instanceof ApiError) return { status: error.status, body: error.toJSON() };
        if (error instanceof ToxicSpecError) {
          return { status: 400, body: new ApiError(400, error.reason, error.field).toJSON() };
        }
        if (error instanceof URIError)
          return { status: 400, body: new ApiError(400, 'bad URL encoding', 'path').toJSON() };
        return { status: 500, body: { error: String((error as Error)?.message ?? error), status: 500 } };
      })
      .then((reply) => {
        if (reply.body === undefined) {
          response.writeHead(reply.status).end();
          return;
        }
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        response
          .writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json' })
          .end(text);
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
