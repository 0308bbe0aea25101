/**
 * grpc.health.v1 per service: every service the registry serves answers
 * Check (and Watch) with the server's status, over both transports, so
 * `grpc_health_probe -service=blixard.ClusterService` works; an unknown name
 * is NOT_FOUND.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckRequestSchema, HealthCheckResponseSchema } from '../gen/grpc/health/v1/health_pb.js';
import { Serving } from './health-service.ts';
import { codeName, RpcError } from './status.ts';
import { type LoopbackServer, nodeShapedRegistry, serveOnLoopback } from './testing.ts';

const { registry, health } = nodeShapedRegistry();

let server: LoopbackServer;
beforeAll(async () => {
  server = await serveOnLoopback(registry);
});
afterAll(() => server?.stop());

async function check(transport: 'grpc' | 'iroh', service: string): Promise<string> {
  const request = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service }));
  try {
    const reply = await server[transport].unary('grpc.health.v1.Health', 'Check', request, {
      timeoutMs: 5000,
    });
    return Serving[fromBinary(HealthCheckResponseSchema, reply).status] ?? 'UNKNOWN_STATUS';
  } catch (err) {
    return err instanceof RpcError ? codeName(err.code) : String(err);
  }
}

describe('grpc.health.v1 Check per service', () => {
  it('answers for every registered service on both transports, NOT_FOUND for others', async () => {
    const names = ['', 'blixard.ClusterService', 'blixard.BlixardService', 'grpc.health.v1.Health', 'nope'];
    for (const transport of ['grpc', 'iroh'] as const) {
      const seen = await Promise.all(names.map((n) => check(transport, n)));
      expect(seen, transport).toEqual(['SERVING', 'SERVING', 'SERVING', 'SERVING', 'NOT_FOUND']);
    }
  });

  it('follows the server status unless a service has its own', async () => {
    health.set('', Serving.NOT_SERVING);
    try {
      expect(await check('grpc', 'blixard.ClusterService')).toBe('NOT_SERVING');
      health.set('blixard.ClusterService', Serving.SERVING);
      expect(await check('iroh', 'blixard.ClusterService')).toBe('SERVING');
      expect(await check('iroh', 'blixard.BlixardService')).toBe('NOT_SERVING');
    } finally {
      health.set('', Serving.SERVING);
    }
  });

  it('sends a watcher of a service the changes of the server status', async () => {
    const request = toBinary(
      HealthCheckRequestSchema,
      create(HealthCheckRequestSchema, { service: 'blixard.BlixardService' }),
    );
    const ctrl = new AbortController();
    const statuses: string[] = [];
    const watching = (async () => {
      try {
        for await (const bytes of server.grpc.serverStream('grpc.health.v1.Health', 'Watch', request, {
          signal: ctrl.signal,
          timeoutMs: 5000,
        })) {
          statuses.push(Serving[fromBinary(HealthCheckResponseSchema, bytes).status] ?? '?');
          if (statuses.length === 1) health.set('', Serving.NOT_SERVING);
          if (statuses.length === 2) ctrl.abort();
        }
      } catch {
        // cancelled
      }
    })();
    await watching;
    health.set('', Serving.SERVING);
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
  });
});
