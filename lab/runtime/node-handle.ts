/**
 * One node of a running cluster: typed clients over each transport it serves (through its client
 * link on the hub), lifecycle (restart, kill, pause/resume), exec, logs, and where its data lives.
 */

import { release, sleep } from '../../node/lib/index.ts';
import { type TransportKind, transportsOf } from '../../node/transport/index.ts';
import type { NodeState } from '../state/index.ts';
import type { RuntimeDriver } from './driver.ts';
import { nodeUnhealthy } from './errors.ts';
import type { LabClient, ServiceClients } from './lab-client.ts';
import { type NodeStatus, queryNodeStatus } from './node-status.ts';

export class NodeHandle {
  readonly state: NodeState;
  private readonly driver: RuntimeDriver;
  private readonly labClient: LabClient;
  private grpcClients: ServiceClients | undefined;
  private irohClients: ServiceClients | undefined;

  constructor(state: NodeState, driver: RuntimeDriver, client: LabClient) {
    this.state = state;
    this.driver = driver;
    this.labClient = client;
    this.reconnect();
  }

  /** Clients over gRPC through the node's client link (undefined in iroh mode). */
  get grpc(): ServiceClients | undefined {
    return this.grpcClients;
  }

  /** Clients over Iroh through the node's client link (undefined in grpc mode). */
  get iroh(): ServiceClients | undefined {
    return this.irohClients;
  }

  /**
   * Fresh channels: a QUIC connection to a killed node stays open on the client's side until its
   * idle timeout, so after a kill or restart the lab dials again instead of waiting it out.
   */
  reconnect(): void {
    const old = [this.grpcClients, this.irohClients];
    const target = {
      id: this.state.id,
      mode: this.state.mode,
      irohId: this.state.irohId,
      grpc: this.state.clientGrpc,
      iroh: this.state.clientIroh,
    };
    const served = transportsOf(this.state.mode);
    this.grpcClients = served.includes('grpc') ? this.labClient.clients(target, 'grpc') : undefined;
    // A system with a client of its own (blixard-rs) is spoken to through it, as its Iroh.
    const own = this.driver.channel?.(this.state);
    this.irohClients = own
      ? this.labClient.wrap(own)
      : served.includes('iroh')
        ? this.labClient.clients(target, 'iroh', { connectTimeoutMs: 3000 })
        : undefined;
    for (const c of old) void release(c?.channel.close());
  }

  get id(): string {
    return this.state.id;
  }

  /** Clients for every transport the node serves. */
  get clients(): ServiceClients[] {
    return [this.grpc, this.iroh].filter((c): c is ServiceClients => c !== undefined);
  }

  client(transport: TransportKind): ServiceClients {
    const c = transport === 'grpc' ? this.grpc : this.iroh;
    if (!c) throw new Error(`${this.id} serves no ${transport} (mode ${this.state.mode})`);
    return c;
  }

  /** Host data dir (process runtime) or the docker volume's name. */
  get dataDir(): string | undefined {
    return this.state.dataDir;
  }

  get volume(): string | undefined {
    return this.state.volume;
  }

  get addresses(): { grpc: string; iroh: string; metrics: string } {
    return { grpc: this.state.clientGrpc, iroh: this.state.clientIroh, metrics: this.state.metrics };
  }

  status(timeoutMs?: number): Promise<NodeStatus> {
    return queryNodeStatus(this.id, this.clients, timeoutMs);
  }

  /** Resolves once HealthCheck succeeds on every transport the node serves. */
  async waitHealthy(timeoutMs = 60_000, signal?: AbortSignal): Promise<NodeStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: NodeStatus | undefined;
    for (;;) {
      last = await this.status(2000);
      if (last.health === 'healthy' || signal?.aborted) return last;
      if (last.transports.iroh?.ok === false) this.reconnect();
      if (!(await this.driver.isRunning(this.state))) {
        throw nodeUnhealthy(this.id, 'its process/container exited', await this.lastLogLines());
      }
      if (Date.now() > deadline) {
        const why = Object.entries(last.transports)
          .map(([t, h]) => `${t}: ${h?.ok ? 'ok' : (h?.error ?? 'no answer')}`)
          .join('; ');
        throw nodeUnhealthy(
          this.id,
          `no healthy answer within ${timeoutMs / 1000} s (${why})`,
          await this.lastLogLines(),
        );
      }
      await sleep(200);
    }
  }

  async lastLogLines(n = 15): Promise<string[]> {
    const text = await this.driver.logs(this.state, n).catch(() => '');
    return text.split('\n').filter((l) => l.length > 0);
  }

  /** Graceful stop and start with the same config and data. */
  async restart(): Promise<void> {
    await this.driver.stopNode(this.state);
    await this.driver.startNode(this.state);
    this.reconnect();
  }

  async start(): Promise<void> {
    await this.driver.startNode(this.state);
    this.reconnect();
  }

  async stop(): Promise<void> {
    await this.driver.stopNode(this.state);
    this.reconnect();
  }

  /** SIGKILL: no chance to flush or say goodbye. */
  async kill(): Promise<void> {
    await this.driver.killNode(this.state);
    this.reconnect();
  }

  /** The node re-reads its config file (SIGHUP): `[transport.migration]` changes apply without a restart. */
  reload(): Promise<void> {
    return this.driver.reloadNode(this.state);
  }

  pause(): Promise<void> {
    return this.driver.pauseNode(this.state);
  }

  resume(): Promise<void> {
    return this.driver.resumeNode(this.state);
  }

  isRunning(): Promise<boolean> {
    return this.driver.isRunning(this.state);
  }

  exec(argv: readonly string[]) {
    return this.driver.exec(this.state, argv);
  }

  logs(tail?: number): Promise<string> {
    return this.driver.logs(this.state, tail);
  }

  followLogs(onText: (text: string) => void, signal: AbortSignal): Promise<void> {
    return this.driver.followLogs(this.state, onText, signal);
  }
}
