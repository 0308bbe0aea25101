/**
 * Real blixard-node processes on loopback, talking directly (no hub): the
 * harness for node-level integration tests and benchmarks. Each node has its
 * own data dir and ports; the harness holds an admitted Iroh client identity.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ReadConsistency } from '../gen/blixard_pb.js';
import { freeTcpPort, freeUdpPort } from '../lib/index.ts';
import {
  BlixardService,
  bindIrohEndpoint,
  ClusterService,
  createClient,
  type Endpoint,
  GrpcChannel,
  IrohChannel,
  type RpcChannel,
  SecretKey,
  type TransportMode,
} from '../transport/index.ts';

const MAIN = resolve(import.meta.dirname, '..', 'main.ts');

export interface LocalNodeSpec {
  id: string;
  grpcPort: number;
  irohPort: number;
  metricsPort: number;
  irohId: string;
  dataDir: string;
  configFile: string;
}

export interface LocalClusterOptions {
  nodes: number;
  mode?: TransportMode;
  /** `adaptive`: `{ adaptive = { latency_threshold_ms } }` with `adaptiveThresholdMs` (default 10). */
  raftTransport?: 'grpc' | 'iroh' | 'adaptive';
  adaptiveThresholdMs?: number;
  preferIroh?: string[];
  /** Extra TOML appended to each node's config (e.g. a [raft] section). */
  extraToml?: string;
  /** The cluster's join token: written to a file every node's `[cluster] join_token_file` names. */
  joinToken?: string;
}

export class LocalCluster {
  readonly dir: string;
  readonly specs: LocalNodeSpec[] = [];
  readonly opts: Required<Omit<LocalClusterOptions, 'extraToml' | 'joinToken'>> & {
    extraToml: string;
    joinToken?: string;
  };
  private readonly procs = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string[]>();
  private clientKey = SecretKey.generate();
  private endpoint: Endpoint | undefined;
  private readonly channels: RpcChannel[] = [];
  private readonly cached = new Map<string, RpcChannel>();

  private constructor(dir: string, opts: LocalClusterOptions) {
    this.dir = dir;
    this.opts = {
      mode: 'dual',
      raftTransport: 'grpc',
      adaptiveThresholdMs: 10,
      preferIroh: [],
      extraToml: '',
      ...opts,
    };
  }

  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    const cluster = new LocalCluster(await mkdtemp(join(tmpdir(), 'blixard-cluster-')), opts);
    if (opts.joinToken !== undefined)
      await writeFile(join(cluster.dir, 'join.token'), `${opts.joinToken}\n`, { mode: 0o600 });
    for (let i = 1; i <= opts.nodes; i++) await cluster.addSpec(`n${i}`);
    for (const spec of cluster.specs) await cluster.writeConfig(spec, true);
    for (const spec of cluster.specs) cluster.spawnNode(spec);
    return cluster;
  }

  /** Creates, configures and starts one more node that joins the running cluster. */
  async addNode(): Promise<LocalNodeSpec> {
    const spec = await this.addSpec(`n${this.specs.length + 1}`);
    await this.writeConfig(spec, false);
    this.spawnNode(spec);
    return spec;
  }

  spec(id: string): LocalNodeSpec {
    const s = this.specs.find((x) => x.id === id);
    if (!s) throw new Error(`no node ${id}`);
    return s;
  }

  async clientEndpoint(): Promise<Endpoint> {
    this.endpoint ??= await bindIrohEndpoint({ bindAddress: '127.0.0.1:0', secretKey: this.clientKey });
    return this.endpoint;
  }

  async channel(id: string, transport: 'grpc' | 'iroh'): Promise<RpcChannel> {
    const s = this.spec(id);
    const ch =
      transport === 'grpc'
        ? new GrpcChannel(`127.0.0.1:${s.grpcPort}`)
        : new IrohChannel(await this.clientEndpoint(), {
            nodeId: s.irohId,
            addrs: [`127.0.0.1:${s.irohPort}`],
          });
    this.channels.push(ch);
    return ch;
  }

  /** Typed clients to one node over one transport; one channel per node and transport, reused. */
  async clients(id: string, transport: 'grpc' | 'iroh' = 'grpc') {
    const key = `${id}/${transport}`;
    let ch = this.cached.get(key);
    if (!ch) {
      ch = await this.channel(id, transport);
      this.cached.set(key, ch);
    }
    return { cluster: createClient(ClusterService, ch), blixard: createClient(BlixardService, ch) };
  }

  /**
   * The leader every node in `running` names, once they agree on a live one
   * (other than `notThis`); on timeout, an error with what each named and its last log lines.
   */
  async agreedLeader(
    running: string[],
    opts: { notThis?: string; timeoutMs?: number } = {},
  ): Promise<string> {
    const until = Date.now() + (opts.timeoutMs ?? 30_000);
    let seen: string[] = [];
    while (Date.now() < until) {
      seen = await Promise.all(
        running.map(async (id) => {
          try {
            const { cluster } = await this.clients(id);
            // What each node names itself, without waiting on a leader: LOCAL.
            const local = { consistency: ReadConsistency.LOCAL };
            return (await cluster.getClusterStatus(local, { timeoutMs: 1000 })).leaderId;
          } catch {
            return '';
          }
        }),
      );
      const leader = seen[0] ?? '';
      // Survivors keep naming a dead leader until their election timeout: only a live one counts.
      if (leader !== opts.notThis && running.includes(leader) && seen.every((l) => l === leader))
        return leader;
      await new Promise((r) => setTimeout(r, 20));
    }
    const logs = running.map((id) => `--- ${id}\n${this.logTail(id, 25)}`).join('\n');
    throw new Error(`no agreed leader among ${running.join(', ')} (they named: ${seen.join(', ')})\n${logs}`);
  }

  /** Whether every node in `ids` reports the same applied index and state digest right now. */
  async replicasAgree(ids: string[]): Promise<boolean> {
    const all = await Promise.all(
      ids.map(async (id) => {
        try {
          return await (await this.clients(id)).cluster.getClusterStatus(
            { consistency: ReadConsistency.LOCAL },
            { timeoutMs: 2000 },
          );
        } catch {
          return undefined;
        }
      }),
    );
    const first = all[0];
    return all.every(
      (s) => s && s.appliedIndex === first?.appliedIndex && s.stateDigest === first?.stateDigest,
    );
  }

  isRunning(id: string): boolean {
    const p = this.procs.get(id);
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  logTail(id: string, lines = 20): string {
    return (this.logs.get(id) ?? []).slice(-lines).join('\n');
  }

  /** The node process' pid (undefined when it is not running). */
  pid(id: string): number | undefined {
    return this.isRunning(id) ? this.procs.get(id)?.pid : undefined;
  }

  /** Sends `signal` to the node process alone and returns at once (e.g. SIGHUP: reload). */
  signal(id: string, signal: NodeJS.Signals): void {
    if (!this.isRunning(id)) throw new Error(`${id} is not running`);
    this.procs.get(id)?.kill(signal);
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs.get(id);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts a stopped node again from its data dir. */
  restart(id: string): void {
    if (this.isRunning(id)) throw new Error(`${id} is running`);
    this.spawnNode(this.spec(id));
  }

  async stop(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.close()));
    await Promise.all(this.specs.map((s) => this.kill(s.id, 'SIGTERM')));
    await this.endpoint?.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async addSpec(id: string): Promise<LocalNodeSpec> {
    const key = SecretKey.generate();
    const dataDir = join(this.dir, id);
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'iroh_secret.key'), `${Buffer.from(key.toBytes()).toString('hex')}\n`, {
      mode: 0o600,
    });
    const spec: LocalNodeSpec = {
      id,
      grpcPort: await freeTcpPort(),
      irohPort: await freeUdpPort(),
      metricsPort: await freeTcpPort(),
      irohId: key.public().toString(),
      dataDir,
      configFile: join(this.dir, `${id}.toml`),
    };
    this.specs.push(spec);
    return spec;
  }

  private async writeConfig(spec: LocalNodeSpec, bootstrap: boolean): Promise<void> {
    const o = this.opts;
    const peers = this.specs
      .filter((p) => p.id !== spec.id)
      .map(
        (p) =>
          `  { id = "${p.id}", grpc = "127.0.0.1:${p.grpcPort}", iroh_id = "${p.irohId}", iroh_addrs = ["127.0.0.1:${p.irohPort}"] },`,
      )
      .join('\n');
    const toml = `
[node]
id = "${spec.id}"
data_dir = "${spec.dataDir}"

[transport]
mode = "${o.mode}"
[transport.grpc]
bind_address = "127.0.0.1:${spec.grpcPort}"
[transport.iroh]
bind_address = "127.0.0.1:${spec.irohPort}"
admitted_clients = ["${this.clientKey.public().toString()}"]
[transport.migration]
prefer_iroh = [${o.preferIroh.map((g) => `"${g}"`).join(', ')}]
raft_transport = ${o.raftTransport === 'adaptive' ? `{ adaptive = { latency_threshold_ms = ${o.adaptiveThresholdMs} } }` : `"${o.raftTransport}"`}
fallback_to_grpc = false

[metrics]
bind_address = "127.0.0.1:${spec.metricsPort}"

[cluster]
bootstrap = ${bootstrap}
${o.joinToken !== undefined ? `join_token_file = "${join(this.dir, 'join.token')}"` : ''}
peers = [
${peers}
]
${o.extraToml}
`;
    await writeFile(spec.configFile, toml);
  }

  private spawnNode(spec: LocalNodeSpec): void {
    const proc = spawn(process.execPath, [MAIN, '--config', spec.configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, BLIXARD_LOG: process.env.BLIXARD_LOG ?? 'info' },
    });
    const lines = this.logs.get(spec.id) ?? [];
    this.logs.set(spec.id, lines);
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      lines.push(...chunk.split('\n').filter(Boolean));
      if (lines.length > 500) lines.splice(0, lines.length - 500);
    });
    this.procs.set(spec.id, proc);
  }
}
