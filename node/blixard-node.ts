/**
 * The reference Blixard node: wires config, transports and services together.
 * Handlers live with their parts; this file only composes them.
 */
import type { NodeConfig } from './config/index.ts';
import { createLogger } from './log.ts';
import {
  BlixardService,
  ClusterService,
  Health,
  HealthState,
  ServiceRegistry,
  Serving,
  TransportRunner,
} from './transport/index.ts';

export const NODE_VERSION = '0.1.0';

export class BlixardNode {
  readonly config: NodeConfig;
  readonly registry = new ServiceRegistry();
  readonly health = new HealthState();
  private runner: TransportRunner | undefined;
  private readonly startedAt = Date.now();
  private readonly log;

  constructor(config: NodeConfig) {
    this.config = config;
    this.log = createLogger('node', { node: config.node.id });
    this.registry.register(Health, this.health.impl());
    this.registry.register(ClusterService, {
      healthCheck: () => ({
        healthy: this.health.get('') === Serving.SERVING,
        message: 'serving',
        nodeId: config.node.id,
        uptimeSecs: BigInt(Math.floor((Date.now() - this.startedAt) / 1000)),
        version: NODE_VERSION,
      }),
    });
    this.registry.register(BlixardService, {});
  }

  async start(): Promise<void> {
    const t = this.config.transport;
    const members = new Set(this.config.cluster.peers.flatMap((p) => (p.iroh_id ? [p.iroh_id] : [])));
    const admitted = new Set([...members, ...t.iroh.admitted_clients]);
    this.runner = await TransportRunner.start({
      mode: t.mode,
      registry: this.registry,
      grpc: { bindAddress: t.grpc.bind_address },
      iroh: {
        bindAddress: t.iroh.bind_address,
        secretKeyFile: t.iroh.secret_key_file,
        relay: t.iroh.relay,
        admit: (id) => admitted.has(id),
      },
    });
    this.log.info('serving', {
      mode: t.mode,
      grpc: this.runner.grpcAddress,
      iroh_id: this.runner.irohNodeId,
      iroh: this.runner.irohAddress,
    });
  }

  get transports(): TransportRunner | undefined {
    return this.runner;
  }

  async stop(): Promise<void> {
    this.health.set('', Serving.NOT_SERVING);
    await this.runner?.stop();
    this.log.info('stopped');
  }
}
