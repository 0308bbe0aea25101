/**
 * Test support: a registry served on loopback over both transports, with a
 * client endpoint and a channel of each kind to it; a registry shaped as a node's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcChannel } from './grpc-channel.ts';
import { HealthState } from './health-service.ts';
import { IrohChannel } from './iroh-channel.ts';
import { bindIrohEndpoint } from './iroh-endpoint.ts';
import type { IrohStreamLimits } from './iroh-protocol-base.ts';
import type { Endpoint } from './native-iroh.ts';
import { ServiceRegistry } from './registry.ts';
import { TransportRunner } from './runner.ts';
import { BlixardService, ClusterService, Health } from './services.ts';

export interface LoopbackServer {
  runner: TransportRunner;
  client: Endpoint;
  grpc: GrpcChannel;
  iroh: IrohChannel;
  dir: string;
  stop(): Promise<void>;
}

export async function serveOnLoopback(
  registry: ServiceRegistry,
  opts: { admit?: (id: string) => boolean; client?: Endpoint; streams?: Partial<IrohStreamLimits> } = {},
): Promise<LoopbackServer> {
  const dir = await mkdtemp(join(tmpdir(), 'blixard-transport-'));
  const runner = await TransportRunner.start({
    mode: 'dual',
    registry,
    grpc: { bindAddress: '127.0.0.1:0' },
    iroh: {
      bindAddress: '127.0.0.1:0',
      secretKeyFile: join(dir, 'iroh.key'),
      ...(opts.admit ? { admit: opts.admit } : {}),
      ...(opts.streams ? { streams: opts.streams } : {}),
    },
  });
  const client = opts.client ?? (await bindIrohEndpoint({ bindAddress: '127.0.0.1:0' }));
  const grpc = new GrpcChannel(runner.grpcAddress ?? '');
  const iroh = new IrohChannel(client, {
    nodeId: runner.irohNodeId ?? '',
    addrs: [runner.irohAddress ?? ''],
  });
  return {
    runner,
    client,
    grpc,
    iroh,
    dir,
    async stop() {
      await grpc.close();
      await iroh.close();
      await runner.stop();
      if (opts.client === undefined) await client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The services a node registers, as little as they take: grpc.health.v1 for the server and every
 * service held, ClusterService answering HealthCheck, BlixardService all UNIMPLEMENTED.
 */
export function nodeShapedRegistry(): { registry: ServiceRegistry; health: HealthState } {
  const registry = new ServiceRegistry();
  const health = new HealthState(() => registry.services().map((s) => s.typeName));
  registry
    .register(Health, health.impl())
    .register(ClusterService, { healthCheck: () => ({ healthy: true }) })
    .register(BlixardService, {});
  return { registry, health };
}
