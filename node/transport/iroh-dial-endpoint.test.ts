/**
 * A channel with `dialEndpoint` dials every connection from an endpoint bound for that dial (the
 * same identity as the node's), never from the node's serving endpoint, and closes the last one when
 * it redials: a serving endpoint keeps every address it learnt for a peer — where that peer's own
 * connections came from, behind the chaos hub another link's proxy session — and dialled over it
 * after a cut had closed it, so a Raft-over-Iroh cluster never elected again.
 */

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { release } from '../lib/index.ts';
import { IrohChannel } from './iroh-channel.ts';
import { bindIrohEndpoint } from './iroh-endpoint.ts';
import { type Endpoint, SecretKey } from './native-iroh.ts';
import { ServiceRegistry } from './registry.ts';
import { ClusterService } from './services.ts';
import { type LoopbackServer, serveOnLoopback } from './testing.ts';

const registry = new ServiceRegistry().register(ClusterService, {
  healthCheck: () => ({ healthy: true, nodeId: 'server' }),
});

describe('Iroh channel dialling from an endpoint per dial', () => {
  let server: LoopbackServer;
  let serving: Endpoint;
  const bound: Endpoint[] = [];

  beforeAll(async () => {
    serving = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0' });
    server = await serveOnLoopback(registry, { client: serving });
  });
  afterAll(async () => {
    await server?.stop();
    await serving?.close();
    await Promise.all(bound.map((e) => release(e.close())));
  });

  it('binds a fresh endpoint with the same identity for each dial and closes the one before', async () => {
    const channel = new IrohChannel(
      serving,
      { nodeId: server.runner.irohNodeId ?? '', addrs: [server.runner.irohAddress ?? ''] },
      {
        connectTimeoutMs: 3000,
        dialEndpoint: async () => {
          const e = await bindIrohEndpoint({
            bindAddress: '127.0.0.1:0',
            secretKey: SecretKey.fromBytes(serving.secretKey()),
          });
          bound.push(e);
          return e;
        },
      },
    );
    const health = () =>
      channel.unary('blixard.ClusterService', 'HealthCheck', new Uint8Array(0), { timeoutMs: 5000 });
    await health();
    await health();
    expect(bound).toHaveLength(1);
    const first = await channel.connect();
    expect(bound[0]?.id().toString()).toBe(serving.id().toString());
    // The connection dies (as a cut link's would): the next call dials again, from a new endpoint.
    first.close(0, '');
    await health();
    expect(bound).toHaveLength(2);
    await vi.waitFor(() => expect(bound[0]?.isClosed()).toBe(true));
    expect(bound[1]?.isClosed()).toBe(false);
    expect(bound[1]?.boundSockets()).not.toEqual(serving.boundSockets());
    await channel.close();
    await vi.waitFor(() => expect(bound[1]?.isClosed()).toBe(true));
    expect(serving.isClosed()).toBe(false);
  });
});
