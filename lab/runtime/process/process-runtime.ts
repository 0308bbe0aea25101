/**
 * The process runtime: every node a local process on 127.0.0.1 with its own data dir, and the hub
 * as two local processes (the real toxiproxy-server for TCP links, the project's UDP toxic proxy for
 * UDP links). Nodes reach each other only through the hub's ports, as in the docker runtime.
 */

import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLinkSet } from '../../../hub/links/index.ts';
import { ensureToxiproxyBinary } from '../../../hub/tcp/index.ts';
import { findFreePortBlock, portFree, sleep } from '../../../node/lib/index.ts';
import {
  type ClusterState,
  type NodeState,
  newClusterState,
  type ProcRecord,
  REPO_ROOT,
} from '../../state/index.ts';
import {
  CLIENT,
  planTopology,
  processAddressing,
  processPortCount,
  renderNodeConfig,
  type Topology,
} from '../../topology/index.ts';
import type { ExecResult, RuntimeDriver } from '../driver.ts';
import { LabError } from '../errors.ts';
import { generateIrohKey, type IrohKey, writeIrohKeyFile } from '../iroh-key.ts';
import { attachPrometheus } from '../run-prometheus.ts';
import type { RuntimeStartOptions } from '../run-state.ts';
import { isOurs, signal, spawnDetached, terminate } from './detached.ts';
import { followFile, tailFile } from './log-file.ts';

const NODE_MAIN = join(REPO_ROOT, 'node', 'main.ts');
const UDP_PROXY_MAIN = join(REPO_ROOT, 'hub', 'udp', 'main.ts');

export interface ProcessRuntimeOptions extends RuntimeStartOptions {
  /** First port of the block; found free when not given. */
  basePort?: number | undefined;
}

export class ProcessDriver implements RuntimeDriver {
  readonly state: ClusterState;

  constructor(state: ClusterState) {
    if (state.runtime !== 'process') throw new Error(`not a process-runtime cluster: ${state.runtime}`);
    this.state = state;
  }

  static async start(opts: ProcessRuntimeOptions): Promise<ProcessDriver> {
    const progress = opts.onProgress ?? (() => {});
    const hubPorts = 2;
    const count = processPortCount(opts.nodes) + hubPorts;
    const base = opts.basePort ?? (await findFreePortBlock(count));
    if (opts.basePort !== undefined) {
      for (let p = base; p < base + count; p++) {
        if (!(await portFree(p))) {
          throw new LabError(
            'port-taken',
            `port ${p} on 127.0.0.1 is taken (the run needs ${base}–${base + count - 1})`,
          );
        }
      }
    }
    const topology = planTopology(opts.nodes, processAddressing(opts.nodes, base));
    const tcpAdminPort = base + count - 2;
    const udpAdminPort = base + count - 1;
    await mkdir(opts.workDir, { recursive: true });

    const state = newClusterState({
      ...opts,
      runtime: 'process',
      links: topology.links,
      hub: { tcpAdmin: `http://127.0.0.1:${tcpAdminPort}`, udpAdmin: `http://127.0.0.1:${udpAdminPort}` },
    });
    const driver = new ProcessDriver(state);
    opts.onDriver?.(driver);
    try {
      progress('hub: starting toxiproxy-server and the UDP toxic proxy');
      await driver.startHub(tcpAdminPort, udpAdminPort);
      progress(`hub: creating ${topology.links.length} links on each transport`);
      const links = createLinkSet({ tcpAdmin: state.hub.tcpAdmin, udpAdmin: state.hub.udpAdmin });
      for (const link of topology.links)
        await links.create({ name: link.name, tcp: link.tcp, udp: link.udp });
      state.nodes = await prepareNodes(topology, opts);
      progress(`nodes: starting ${state.nodes.length} in ${opts.mode} mode`);
      for (const node of state.nodes) await driver.startNode(node);
      if (opts.prometheus === true) {
        const { runLabels } = await import('../docker/engine.ts');
        await attachPrometheus(state, {
          labels: runLabels(opts.runId, { stateFile: opts.stateFile }),
          progress,
        });
      }
    } catch (err) {
      await driver.teardown();
      throw err;
    }
    return driver;
  }

  private async startHub(tcpAdminPort: number, udpAdminPort: number): Promise<void> {
    const dir = this.state.workDir;
    let binary: string;
    try {
      binary = await ensureToxiproxyBinary();
    } catch (err) {
      throw new LabError(
        'hub',
        `toxiproxy-server is missing and could not be built: ${(err as Error).message}`,
      );
    }
    this.state.hub.toxiproxy = spawnDetached({
      command: binary,
      args: ['-host', '127.0.0.1', '-port', String(tcpAdminPort), '-seed', String(this.state.seed)],
      logPath: join(dir, 'hub-toxiproxy.log'),
      marker: `-port ${tcpAdminPort}`,
    });
    this.state.hub.udpProxy = spawnDetached({
      command: process.execPath,
      args: [UDP_PROXY_MAIN, '--listen', `127.0.0.1:${udpAdminPort}`, '--seed', String(this.state.seed)],
      logPath: join(dir, 'hub-udp-proxy.log'),
      marker: `127.0.0.1:${udpAdminPort}`,
    });
    await waitForApi(
      'toxiproxy-server',
      this.state.hub.tcpAdmin,
      this.state.hub.toxiproxy,
      join(dir, 'hub-toxiproxy.log'),
    );
    await waitForApi(
      'UDP toxic proxy',
      this.state.hub.udpAdmin,
      this.state.hub.udpProxy,
      join(dir, 'hub-udp-proxy.log'),
    );
  }

  async startNode(node: NodeState): Promise<void> {
    if (node.proc && (await isOurs(node.proc))) return;
    node.proc = spawnDetached({
      command: process.execPath,
      args: [NODE_MAIN, '--config', node.configPath],
      logPath: nodeLog(node),
      cwd: REPO_ROOT,
      marker: node.configPath,
    });
  }

  async stopNode(node: NodeState): Promise<void> {
    if (node.proc) await terminate(node.proc);
  }

  async killNode(node: NodeState): Promise<void> {
    if (node.proc) await terminate(node.proc, 0);
  }

  async reloadNode(node: NodeState): Promise<void> {
    // The node alone, not its process group: its guests would take SIGHUP as a hang-up.
    if (!node.proc || !(await isOurs(node.proc))) throw new Error(`${node.id} is not running`);
    process.kill(node.proc.pid, 'SIGHUP');
  }

  async pauseNode(node: NodeState): Promise<void> {
    if (!node.proc || !(await signal(node.proc, 'SIGSTOP'))) throw new Error(`${node.id} is not running`);
  }

  async resumeNode(node: NodeState): Promise<void> {
    if (!node.proc || !(await signal(node.proc, 'SIGCONT'))) throw new Error(`${node.id} is not running`);
  }

  async isRunning(node: NodeState): Promise<boolean> {
    return node.proc !== undefined && (await isOurs(node.proc));
  }

  exec(node: NodeState, argv: readonly string[]): Promise<ExecResult> {
    const [command, ...args] = argv;
    if (command === undefined) return Promise.reject(new Error('exec: no command given'));
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: node.dataDir,
        env: { ...process.env, BLIXARD_NODE: node.id, BLIXARD_CONFIG: node.configPath },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.once('error', reject);
      child.once('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr }));
    });
  }

  logs(node: NodeState, tail?: number): Promise<string> {
    return tailFile(nodeLog(node), tail);
  }

  followLogs(node: NodeState, onText: (text: string) => void, abort: AbortSignal): Promise<void> {
    return followFile(nodeLog(node), onText, abort);
  }

  async teardown(): Promise<void> {
    const procs: ProcRecord[] = [];
    for (const node of this.state.nodes) if (node.proc) procs.push(node.proc);
    await Promise.all(procs.map((p) => terminate(p)));
    const hub = [this.state.hub.toxiproxy, this.state.hub.udpProxy].filter((p): p is ProcRecord => !!p);
    await Promise.all(hub.map((p) => terminate(p)));
    if (this.state.prometheus?.container) {
      // Prometheus (and Grafana, when `lab up` started one) carry the run's label.
      const { removeRun } = await import('../docker/index.ts');
      await removeRun(this.state.runId);
    }
  }
}

function nodeLog(node: NodeState): string {
  if (!node.logPath) throw new Error(`${node.id} has no log file`);
  return node.logPath;
}

async function prepareNodes(topology: Topology, opts: ProcessRuntimeOptions): Promise<NodeState[]> {
  const keys = new Map<string, IrohKey>();
  const dirs = new Map<string, string>();
  for (const n of topology.nodes) {
    const dataDir = join(opts.workDir, n.id, 'data');
    dirs.set(n.id, dataDir);
    keys.set(n.id, await writeIrohKeyFile(join(dataDir, 'iroh_secret.key'), generateIrohKey()));
  }
  const irohIds = Object.fromEntries([...keys].map(([id, k]) => [id, k.nodeId]));
  const out: NodeState[] = [];
  for (const n of topology.nodes) {
    const dataDir = dirs.get(n.id) as string;
    const configPath = join(opts.workDir, n.id, 'node.toml');
    await writeFile(
      configPath,
      renderNodeConfig(topology, n.id, {
        mode: opts.mode,
        strategy: opts.strategy,
        irohIds,
        admittedClients: [opts.clientKey.nodeId],
        dataDir,
      }),
    );
    const link = topology.links.find((l) => l.from === CLIENT && l.to === n.id);
    if (!link) throw new Error(`no client link to ${n.id}`);
    out.push({
      id: n.id,
      index: n.index,
      mode: opts.mode,
      irohId: irohIds[n.id] as string,
      clientGrpc: link.dial,
      clientIroh: link.dial,
      metrics: n.metricsAddress,
      configPath,
      dataDir,
      logPath: join(opts.workDir, n.id, 'node.log'),
    });
  }
  return out;
}

async function waitForApi(what: string, url: string, proc: ProcRecord, logPath: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/version`)).ok) return;
    } catch {}
    if (!(await isOurs(proc))) {
      const log = (await tailFile(logPath, 20)).trim();
      throw new LabError('hub', `${what} exited before its API answered on ${url}${log ? `:\n${log}` : ''}`);
    }
    if (Date.now() > deadline)
      throw new LabError('hub', `${what} runs but its API on ${url} does not answer`);
    await sleep(50);
  }
}
