/**
 * The docker runtime: each node a container alone on its own network, the hub (Toxiproxy + the UDP
 * toxic proxy) on every network plus an edge network where its admin APIs and the client links are
 * published to the host. Containers start through testcontainers (wait strategies); the verbs it
 * lacks (pause, kill, exec output, logs of a container another process started) use dockerode.
 */

import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { createLinkSet } from '../../../hub/links/index.ts';
import {
  ensureImages,
  type ImageName,
  NODE_UID,
  type ProgressEvent,
  TOXIPROXY_API_PORT,
  UDP_PROXY_API_PORT,
} from '../../../images/index.ts';
import { type ClusterState, type NodeState, newClusterState } from '../../state/index.ts';
import {
  CLIENT,
  dockerAddressing,
  planTopology,
  renderNodeConfig,
  type Topology,
} from '../../topology/index.ts';
import type { ExecResult, RuntimeDriver } from '../driver.ts';
import { LabError } from '../errors.ts';
import { generateIrohKey, type IrohKey } from '../iroh-key.ts';
import { attachPrometheus } from '../run-prometheus.ts';
import type { RuntimeStartOptions } from '../run-state.ts';
import { removeRun } from './cleanup.ts';
import { docker, requireDocker, resourceName, runLabels } from './engine.ts';
import { demux, demuxStream } from './log-stream.ts';

const DATA_DIR = '/var/lib/blixard';
const ETC_DIR = '/etc/blixard';

export interface DockerRuntimeOptions extends RuntimeStartOptions {
  /** The state file that will remember the run (`lab up`); tests own their runs by pid instead. */
  stateFile?: string | undefined;
}

export class DockerDriver implements RuntimeDriver {
  readonly state: ClusterState;

  protected constructor(state: ClusterState) {
    this.state = state;
  }

  static attach(state: ClusterState): DockerDriver {
    if (state.runtime !== 'docker') throw new Error(`not a docker-runtime cluster: ${state.runtime}`);
    return new DockerDriver(state);
  }

  static async start(opts: DockerRuntimeOptions): Promise<DockerDriver> {
    const progress = opts.onProgress ?? (() => {});
    await requireDocker();
    const tags = await buildImages(opts, progress);
    const runId = opts.runId;
    const labels = runLabels(runId, { stateFile: opts.stateFile });
    const names = {
      node: (i: number) => resourceName(runId, `n${i}`),
      hub: resourceName(runId, 'hub'),
    };
    const topology = planTopology(opts.nodes, dockerAddressing(names));
    const state: ClusterState = {
      ...newClusterState({
        ...opts,
        runtime: 'docker',
        links: topology.links,
        hub: { tcpAdmin: '', udpAdmin: '', container: names.hub },
      }),
      networks: [],
    };
    const driver = new DockerDriver(state);
    opts.onDriver?.(driver);
    const d = docker();
    try {
      const hub = await startHub(state, topology, { ...opts, hubTag: tags.hub, labels, progress });
      state.nodes = await prepareNodes(topology, opts, hub, names.node);
      progress(`nodes: starting ${state.nodes.length} containers in ${opts.mode} mode`);
      await Promise.all(
        state.nodes.map((node, i) =>
          startNodeContainer(node, tags.node, labels, state.networks?.[i + 1] as string),
        ),
      );
      // The host reaches metrics directly (not through a link) at the container's address.
      for (const [i, node] of state.nodes.entries()) {
        const info = await d.getContainer(node.container as string).inspect();
        const ip = info.NetworkSettings.Networks[state.networks?.[i + 1] as string]?.IPAddress;
        if (ip) node.metrics = `${ip}:9100`;
      }
      if (opts.prometheus !== false) {
        await attachPrometheus(state, { labels, image: tags.prometheus, progress });
      }
    } catch (err) {
      await driver.teardown();
      throw err;
    }
    return driver;
  }

  protected container(node: NodeState): Docker.Container {
    if (!node.container) throw new Error(`${node.id} has no container`);
    return docker().getContainer(node.container);
  }

  async startNode(node: NodeState): Promise<void> {
    const c = this.container(node);
    const info = await c.inspect();
    if (info.State.Paused) await c.unpause();
    if (info.State.Running) return;
    await c.start();
    await this.refreshUdpLinks(node);
  }

  /**
   * A restarted container may get another address on its network, while the UDP proxy's sessions
   * keep sending to the address the name had when each session opened (until they go idle, which a
   * retrying client never lets happen). Re-enabling the links into this node opens fresh sessions;
   * a link that is cut on purpose stays cut.
   */
  protected async refreshUdpLinks(node: NodeState): Promise<void> {
    const headers = { 'content-type': 'application/json' };
    for (const link of this.state.links.filter((l) => l.to === node.id)) {
      const url = `${this.state.hub.udpAdmin}/proxies/${encodeURIComponent(link.name)}`;
      const current = (await (await fetch(url)).json()) as { enabled?: boolean };
      if (current.enabled !== true) continue;
      for (const enabled of [false, true]) {
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ enabled }) });
        if (!res.ok) throw new Error(`UDP link ${link.name}: ${res.status} ${await res.text()}`);
      }
    }
  }

  async stopNode(node: NodeState): Promise<void> {
    const c = this.container(node);
    const info = await c.inspect();
    if (info.State.Paused) await c.unpause();
    if (info.State.Running || info.State.Paused) await c.stop({ t: 5 });
  }

  async killNode(node: NodeState): Promise<void> {
    const c = this.container(node);
    const info = await c.inspect();
    if (info.State.Running || info.State.Paused) await c.kill({ signal: 'SIGKILL' });
  }

  async reloadNode(node: NodeState): Promise<void> {
    // tini (the container's init) passes the signal on to the node process.
    await this.container(node).kill({ signal: 'SIGHUP' });
  }

  async pauseNode(node: NodeState): Promise<void> {
    await this.container(node).pause();
  }

  async resumeNode(node: NodeState): Promise<void> {
    await this.container(node).unpause();
  }

  async isRunning(node: NodeState): Promise<boolean> {
    try {
      return (await this.container(node).inspect()).State.Running;
    } catch {
      return false;
    }
  }

  exec(node: NodeState, argv: readonly string[]): Promise<ExecResult> {
    return execIn(this.container(node), argv);
  }

  async logs(node: NodeState, tail?: number): Promise<string> {
    const buf = (await this.container(node).logs({
      stdout: true,
      stderr: true,
      follow: false,
      ...(tail !== undefined && { tail }),
    })) as unknown as Buffer;
    const { stdout, stderr } = demux(buf);
    return stdout + stderr;
  }

  async followLogs(node: NodeState, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
    const stream = await this.container(node).logs({
      stdout: true,
      stderr: true,
      follow: true,
      since: Math.floor(Date.now() / 1000),
    });
    await demuxStream(stream, onText, signal);
  }

  async teardown(): Promise<void> {
    await removeRun(this.state.runId);
  }
}

/**
 * The run's networks (an edge network, an internal one per node) and the hub on all of them, with
 * every link of the topology created on both of its proxies. Fills in the state's networks and hub
 * admin URLs as it goes, so a failure part-way can still be torn down.
 */
export async function startHub(
  state: ClusterState,
  topology: Topology,
  opts: {
    runId: string;
    seed: number;
    hubTag: string;
    labels: Record<string, string>;
    progress: (m: string) => void;
  },
): Promise<StartedTestContainer> {
  const { runId, labels, progress } = opts;
  const d = docker();
  progress('docker: creating a network per node and the edge network');
  const edge = resourceName(runId, 'edge');
  await d.createNetwork({ Name: edge, Labels: labels, CheckDuplicate: true });
  state.networks?.push(edge);
  for (const n of topology.nodes) {
    const name = resourceName(runId, `net-${n.id}`);
    await d.createNetwork({ Name: name, Internal: true, Labels: labels, CheckDuplicate: true });
    state.networks?.push(name);
  }

  progress('hub: starting the hub container');
  const clientLinks = topology.links.filter((l) => l.from === CLIENT);
  const hub = await new GenericContainer(opts.hubTag)
    .withName(state.hub.container as string)
    .withLabels(labels)
    .withNetworkMode(edge)
    .withEnvironment({
      UDP_PROXY_ARGS: `--host 0.0.0.0 --port ${UDP_PROXY_API_PORT} --seed ${opts.seed}`,
    })
    .withExposedPorts(
      TOXIPROXY_API_PORT,
      UDP_PROXY_API_PORT,
      ...clientLinks.flatMap((l) => [`${l.port}/tcp` as const, `${l.port}/udp` as const]),
    )
    .withWaitStrategy(
      Wait.forAll([
        Wait.forHttp('/version', TOXIPROXY_API_PORT),
        Wait.forHttp('/version', UDP_PROXY_API_PORT),
      ]),
    )
    .withStartupTimeout(60_000)
    .start();
  for (const net of state.networks?.slice(1) ?? [])
    await d.getNetwork(net).connect({ Container: hub.getId() });
  const host = '127.0.0.1';
  state.hub.tcpAdmin = `http://${host}:${hub.getMappedPort(TOXIPROXY_API_PORT)}`;
  state.hub.udpAdmin = `http://${host}:${hub.getMappedPort(UDP_PROXY_API_PORT)}`;

  progress(`hub: creating ${topology.links.length} links on each transport`);
  const links = createLinkSet({ tcpAdmin: state.hub.tcpAdmin, udpAdmin: state.hub.udpAdmin });
  for (const link of topology.links) await links.create({ name: link.name, tcp: link.tcp, udp: link.udp });
  return hub;
}

/** Runs `argv` in a running container (in the data dir, as the image's user unless `user` is given). */
export async function execIn(
  container: Docker.Container,
  argv: readonly string[],
  user?: string,
): Promise<ExecResult> {
  const exec = await container.exec({
    Cmd: [...argv],
    AttachStdout: true,
    AttachStderr: true,
    WorkingDir: DATA_DIR,
    ...(user !== undefined && { User: user }),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const { stdout, stderr } = await demuxStream(stream);
  const info = await exec.inspect();
  return { code: info.ExitCode ?? 1, stdout, stderr };
}

async function buildImages(
  opts: DockerRuntimeOptions,
  progress: (m: string) => void,
): Promise<{ node: string; hub: string; prometheus: string }> {
  const onProgress = (e: ProgressEvent) => {
    if (e.phase !== 'check') progress(`image ${e.image}: ${e.message}`);
  };
  try {
    const names: ImageName[] = ['hub', 'prometheus'];
    if (!opts.image) names.push('node');
    const tags = await ensureImages(names, { onProgress });
    const node = opts.image ?? tags.node;
    if (!node) throw new Error('no node image');
    if (opts.image) {
      await docker()
        .getImage(opts.image)
        .inspect()
        .catch(() => {
          throw new LabError('image-build', `image ${opts.image} is not in the local Docker engine`);
        });
    }
    return { node, hub: tags.hub, prometheus: tags.prometheus };
  } catch (err) {
    if (err instanceof LabError) throw err;
    throw new LabError('image-build', `building the lab images failed: ${(err as Error).message}`);
  }
}

async function prepareNodes(
  topology: Topology,
  opts: DockerRuntimeOptions,
  hub: StartedTestContainer,
  containerName: (i: number) => string,
): Promise<NodeState[]> {
  const keys = new Map<string, IrohKey>(topology.nodes.map((n) => [n.id, generateIrohKey()]));
  const irohIds = Object.fromEntries([...keys].map(([id, k]) => [id, k.nodeId]));
  const out: NodeState[] = [];
  const asRoot = process.getuid?.() === 0;
  for (const n of topology.nodes) {
    const etc = join(opts.workDir, n.id, 'etc');
    await mkdir(etc, { recursive: true });
    const configPath = join(etc, 'node.toml');
    const keyPath = join(etc, 'iroh_secret.key');
    await writeFile(
      configPath,
      renderNodeConfig(topology, n.id, {
        mode: opts.mode,
        strategy: opts.strategy,
        irohIds,
        admittedClients: [opts.clientKey.nodeId],
        dataDir: DATA_DIR,
        secretKeyFile: `${ETC_DIR}/iroh_secret.key`,
      }),
    );
    await writeFile(keyPath, `${(keys.get(n.id) as IrohKey).secretHex}\n`);
    // The node runs as its own user: it must read its key, nobody else in the container needs to.
    if (asRoot) {
      await chown(keyPath, NODE_UID, NODE_UID);
      await chmod(keyPath, 0o600);
    } else {
      await chmod(keyPath, 0o644);
    }
    await chmod(etc, 0o755);
    const link = topology.links.find((l) => l.from === CLIENT && l.to === n.id);
    if (!link) throw new Error(`no client link to ${n.id}`);
    // Published ports listen on every host address; the lab's client (bound to loopback) uses 127.0.0.1.
    const host = '127.0.0.1';
    out.push({
      id: n.id,
      index: n.index,
      mode: opts.mode,
      irohId: irohIds[n.id] as string,
      clientGrpc: `${host}:${hub.getMappedPort(link.port, 'tcp')}`,
      clientIroh: `${host}:${hub.getMappedPort(link.port, 'udp')}`,
      metrics: `${containerName(n.index)}:9100`,
      configPath,
      container: containerName(n.index),
      volume: resourceName(opts.runId, `${n.id}-data`),
    });
  }
  return out;
}

async function startNodeContainer(
  node: NodeState,
  image: string,
  labels: Record<string, string>,
  network: string,
): Promise<void> {
  const volume = node.volume as string;
  await docker().createVolume({ Name: volume, Labels: labels });
  const etc = join(node.configPath, '..');
  await new GenericContainer(image)
    .withName(node.container as string)
    .withLabels(labels)
    .withNetworkMode(network)
    .withBindMounts([
      { source: etc, target: ETC_DIR, mode: 'ro' },
      { source: volume, target: DATA_DIR, mode: 'rw' },
    ])
    .withWaitStrategy(Wait.forLogMessage(/"msg":"serving"/))
    .withStartupTimeout(60_000)
    .start();
}
