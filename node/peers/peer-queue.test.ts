/**
 * A PeerQueue and its PeerLink against a real gRPC peer on loopback that is
 * first absent, then present: the breaker opens, messages beyond the bound
 * are dropped and counted, and once the peer answers the breaker closes and
 * the buffer drains.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freeTcpPort, seededRandom } from '../lib/index.ts';
import {
  ClusterService,
  createClient,
  GRPC_ONLY,
  GrpcServer,
  RoutedChannel,
  ServiceRegistry,
} from '../transport/index.ts';
import { PeerLink } from './peer-link.ts';
import { PeerQueue } from './peer-queue.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('PeerQueue over a PeerLink to a real gRPC peer', () => {
  it('buffers within its bound while the peer is down, counts drops, drains when it returns', async () => {
    const port = await freeTcpPort();
    const channel = new RoutedChannel({ id: 'p', grpc: `127.0.0.1:${port}` }, { strategy: GRPC_ONLY });
    cleanups.push(() => channel.close());
    const link = new PeerLink('p', channel, {
      breaker: { failureThreshold: 3, backoff: { baseMs: 40, maxMs: 200, factor: 2 } },
      healthIntervalMs: 50,
      healthTimeoutMs: 500,
      random: seededRandom(5),
    });
    cleanups.push(() => link.stop());
    void link.runHealthChecks();
    const received: number[] = [];
    const client = createClient(ClusterService, channel);
    const queue = new PeerQueue<number>(
      link,
      async (batch) => {
        await client.healthCheck({}, { timeoutMs: 500 });
        received.push(...batch);
      },
      { capacity: 10, maxBatch: 4, retryDelayMs: 10 },
    );
    cleanups.push(() => queue.close());

    await expect.poll(() => link.state(), { timeout: 20_000, interval: 10 }).toBe('open');
    for (let i = 0; i < 50; i++) queue.push(i);
    expect(queue.queued).toBeLessThanOrEqual(10);
    expect(queue.dropped).toBeGreaterThanOrEqual(40);

    const registry = new ServiceRegistry().register(ClusterService, {
      healthCheck: () => ({ healthy: true, nodeId: 'p' }),
    });
    const server = new GrpcServer(registry, { bindAddress: `127.0.0.1:${port}` });
    await server.start();
    cleanups.push(() => server.stop(0));

    // Every message is accounted for once the last batch has been answered, not merely taken.
    await expect.poll(() => received.length + queue.dropped, { timeout: 20_000, interval: 20 }).toBe(50);
    expect(queue.queued).toBe(0);
    expect(link.state()).toBe('closed');
    expect(link.breaker.transitions.map((t) => t.to)).toContain('half-open');
    // What was delivered is the newest messages, in order.
    expect(received.length).toBeGreaterThan(0);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    expect(received.at(-1)).toBe(49);
    expect(received.length + queue.dropped).toBe(50);
  });
});
