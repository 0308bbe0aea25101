/**
 * The lab's one cluster API, the same on every runtime:
 *
 *   const cluster = await Cluster.start({ nodes: 3, runtime: 'process', mode: 'dual' });
 *   await cluster.node('n1').grpc?.cluster.healthCheck({});
 *   await (await cluster.link('n1', 'n2')).cut();
 *   await cluster.stop();
 *
 * `start` returns once every node answers HealthCheck on each transport it serves, through the hub.
 */

import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createLinkSet, type Link, type LinkSet } from '../../hub/links/index.ts';
import { release, sleep } from '../../node/lib/index.ts';
import { type ClusterState, newRunId, REPO_ROOT } from '../state/index.ts';
import { CLIENT, linkName } from '../topology/index.ts';
import type { BlixardDriver } from './blixard/index.ts';
import type { RuntimeDriver } from './driver.ts';
import { LabError } from './errors.ts';
import { generateIrohKey, irohKeyFromHex } from './iroh-key.ts';
import { LabClient } from './lab-client.ts';
import { NodeHandle } from './node-handle.ts';
import type { NodeStatus } from './node-status.ts';
import { type ClusterOptions, ClusterShapeSchema, describeZodIssues } from './options.ts';
import { ProcessDriver } from './process/process-runtime.ts';

export class Cluster {
  readonly state: ClusterState;
  readonly nodes: NodeHandle[];
  /** The hub's links, on both transports (hub/links). */
  readonly links: LinkSet;
  private readonly driver: RuntimeDriver;
  /** The lab's client: the identity every node admits, and channels to the nodes through the hub. */
  readonly client: LabClient;
  private closed = false;

  private constructor(driver: RuntimeDriver, client: LabClient) {
    this.driver = driver;
    this.state = driver.state;
    this.client = client;
    this.nodes = driver.state.nodes.map((n) => new NodeHandle(n, driver, client));
    this.links = createLinkSet({ tcpAdmin: this.state.hub.tcpAdmin, udpAdmin: this.state.hub.udpAdmin });
  }

  static async start(options: ClusterOptions & { basePort?: number }): Promise<Cluster> {
    const shape = ClusterShapeSchema.safeParse({
      nodes: options.nodes,
      runtime: options.runtime,
      mode: options.mode,
      ...(options.sut !== undefined && { sut: options.sut }),
      ...(options.strategy !== undefined && { strategy: options.strategy }),
      ...(options.image !== undefined && { image: options.image }),
      ...(options.seed !== undefined && { seed: options.seed }),
    });
    if (!shape.success)
      throw new LabError('usage', `invalid cluster options:\n${describeZodIssues(shape.error)}`);
    const runId = options.runId ?? newRunId();
    const common = {
      ...options,
      strategy: shape.data.strategy,
      runId,
      // Absolute: docker takes a relative bind-mount source for a volume name and refuses it.
      workDir: resolve(options.workDir ?? join(REPO_ROOT, 'runs', runId)),
      seed: options.seed ?? Number.parseInt(randomBytes(4).toString('hex'), 16),
      clientKey: generateIrohKey(),
    };
    let started: RuntimeDriver | undefined;
    const report = () => {
      if (started) options.onState?.(started.state);
    };
    // Ctrl-C while starting: stop at the next step, remove what was made, then exit 130.
    const abort = new AbortController();
    options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    common.signal = abort.signal;
    let interrupted = false;
    const onSignal = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write('interrupted: removing what this run made (Ctrl-C again to leave it)\n');
      abort.abort();
    };
    common.onProgress = (message: string) => {
      report();
      if (abort.signal.aborted) throw new LabError('usage', 'start interrupted');
      options.onProgress?.(message);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      let driver: RuntimeDriver;
      const onDriver = (d: RuntimeDriver) => {
        started = d;
      };
      if (options.sut === 'blixard-rs') {
        const { BlixardDriver } = await import('./blixard/index.ts');
        driver = await BlixardDriver.startBlixard({ ...common, onDriver });
      } else if (options.runtime === 'process') {
        driver = await ProcessDriver.start({
          ...common,
          onDriver: (d) => {
            started = d;
          },
        });
      } else {
        const { DockerDriver } = await import('./docker/index.ts');
        driver = await DockerDriver.start({
          ...common,
          onDriver: (d) => {
            started = d;
          },
        });
      }
      started = driver;
      report();
      const cluster = await Cluster.over(driver);
      try {
        common.onProgress('nodes: waiting until every node answers HealthCheck');
        await cluster.waitHealthy(options.healthTimeoutMs, abort.signal);
        if (abort.signal.aborted) throw new LabError('usage', 'start interrupted');
      } catch (err) {
        await cluster.stop();
        throw err;
      }
      return cluster;
    } catch (err) {
      if (interrupted) {
        await release(started?.teardown(), (e) =>
          process.stderr.write(`lab: cleaning up after the interrupt: ${(e as Error).message}\n`),
        );
        process.exit(130);
      }
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  /** A cluster started earlier (maybe by another process), from its state. */
  static async attach(state: ClusterState): Promise<Cluster> {
    if (state.sut === 'blixard-rs') {
      const { BlixardDriver } = await import('./blixard/index.ts');
      return Cluster.over(BlixardDriver.attachBlixard(state));
    }
    if (state.runtime === 'process') return Cluster.over(new ProcessDriver(state));
    const { DockerDriver } = await import('./docker/index.ts');
    return Cluster.over(DockerDriver.attach(state));
  }

  private static async over(driver: RuntimeDriver): Promise<Cluster> {
    return new Cluster(driver, new LabClient(irohKeyFromHex(driver.state.client.secretHex)));
  }

  get runId(): string {
    return this.state.runId;
  }

  get runtime(): ClusterState['runtime'] {
    return this.state.runtime;
  }

  /** The system under test: the reference node, or the real Blixard. */
  get sut(): NonNullable<ClusterState['sut']> {
    return this.state.sut ?? 'reference';
  }

  /** blixard-rs: its driver (its CLI from any container, its nodes' own addresses); else undefined. */
  get blixard(): BlixardDriver | undefined {
    return this.state.sut === 'blixard-rs' ? (this.driver as BlixardDriver) : undefined;
  }

  /** Prometheus' base URL, when the run has one. */
  get prometheus(): string | undefined {
    return this.state.prometheus?.url;
  }

  node(id: string): NodeHandle {
    const node = this.nodes.find((n) => n.id === id);
    if (!node)
      throw new LabError('usage', `no node '${id}' (nodes: ${this.nodes.map((n) => n.id).join(', ')})`);
    return node;
  }

  /** The hub link from `from` (a node id or 'client') to node `to`, on both transports. */
  link(from: string, to: string): Promise<Link> {
    const name = linkName(from, to);
    if (!this.state.links.some((l) => l.name === name)) throw new LabError('usage', `no link ${name}`);
    return this.links.get(name);
  }

  /** The links the lab's client uses, one per node. */
  get clientLinks(): string[] {
    return this.state.links.filter((l) => l.from === CLIENT).map((l) => l.name);
  }

  status(timeoutMs?: number): Promise<NodeStatus[]> {
    return Promise.all(this.nodes.map((n) => n.status(timeoutMs)));
  }

  async waitHealthy(timeoutMs = 60_000, signal?: AbortSignal): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.waitHealthy(timeoutMs, signal)));
  }

  /**
   * Resolves with the leader's id once every node answers and they agree on one leader in one term
   * (polling GetRaftStatus; gives up after `timeoutMs` with what each node said).
   */
  async waitForLeader(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const statuses = await this.status(2000);
      const leaders = new Set(statuses.map((s) => s.leader));
      const terms = new Set(statuses.map((s) => s.term));
      const [leader] = [...leaders];
      const agreed =
        leaders.size === 1 &&
        terms.size === 1 &&
        leader !== undefined &&
        statuses
          .filter((s) => s.role === 'leader')
          .map((s) => s.id)
          .join() === leader;
      if (agreed) return leader;
      if (Date.now() > deadline) {
        const said = statuses.map((s) => `${s.id}: ${s.role}, term ${s.term}, leader ${s.leader}`).join('; ');
        throw new LabError('node-unhealthy', `no agreed leader within ${timeoutMs / 1000} s (${said})`);
      }
      await sleep(200);
    }
  }

  /** Removes every process, container, network and volume of the run, and closes the clients. */
  async stop(): Promise<void> {
    await this.detach();
    await this.driver.teardown();
  }

  /** Closes the lab's clients and leaves the cluster running (for `lab up`). */
  async detach(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}
