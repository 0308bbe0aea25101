/**
 * The real Blixard (`blixard-rs`) on the docker runtime: the same networks, hub and links as the
 * reference node (every node alone on its network, the hub on all of them), with the node started as
 * Blixard starts: node 1 bootstraps, the others join with its ticket.
 *
 * Blixard learns its peers' addresses from tickets and join requests, and those name each node's own
 * container address (and port 50000 + id), which no other node can route to. So in every container
 * the lab installs address translation (nat table, OUTPUT): a packet for peer j's own address goes to
 * the hub's (i → j) link port on this container's network. Tickets stay as Blixard made them, and the
 * only path between two nodes is their link. The lab's client is the `blixard` CLI in a container on
 * the edge network, translated the same way onto the (client → j) links.
 */

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GenericContainer } from 'testcontainers';
import { blixardBinary, ensureBlixardImage, ensureImages } from '../../../images/index.ts';
import type { RpcChannel } from '../../../node/transport/index.ts';
import { type ClusterState, type NodeState, newClusterState } from '../../state/index.ts';
import { CLIENT, dockerAddressing, type LinkPlan, planTopology } from '../../topology/index.ts';
import { DockerDriver, type DockerRuntimeOptions, execIn, startHub } from '../docker/docker-runtime.ts';
import { docker, requireDocker, resourceName, runLabels } from '../docker/engine.ts';
import { demux } from '../docker/log-stream.ts';
import type { ExecResult } from '../driver.ts';
import { LabError, nodeUnhealthy } from '../errors.ts';
import { attachPrometheus } from '../run-prometheus.ts';
import { waitUntil } from '../wait.ts';
import { BlixardCliChannel } from './cli-channel.ts';
import { ticketFromLog, votersFromLog } from './log-lines.ts';
import {
  blixardPorts,
  DATA_DIR,
  ETC_DIR,
  type NatRule,
  natScript,
  nodeArgv,
  startScript,
} from './node-command.ts';

/** Blixard's Raft timing (raft/core.rs, raft/event_loop.rs): tick 100 ms, election in [10, 20) ticks. */
export const BLIXARD_TICK_MS = 100;
export const BLIXARD_ELECTION_TIMEOUT_MAX_MS = 2 * 10 * BLIXARD_TICK_MS;
/**
 * From `blixard node` to its ticket line: the process start, redb, and its Iroh endpoint's bind,
 * which waits for the endpoint's own address discovery (no relay is reachable here).
 */
export const BLIXARD_START_MS = 60_000;

/** The least time a `blixard` CLI call is given: its process start, an Iroh endpoint, a handshake. */
export const BLIXARD_CLI_MIN_MS = 5000;

/** What the docker runtime takes: the same run, on Blixard. */
export type BlixardRuntimeOptions = DockerRuntimeOptions;

export class BlixardDriver extends DockerDriver {
  static attachBlixard(state: ClusterState): BlixardDriver {
    if (state.sut !== 'blixard-rs' || !state.blixard) throw new Error('not a blixard-rs cluster');
    return new BlixardDriver(state);
  }

  static async startBlixard(opts: BlixardRuntimeOptions): Promise<BlixardDriver> {
    const progress = opts.onProgress ?? (() => {});
    if (opts.runtime !== 'docker')
      throw new LabError('usage', `sut blixard-rs runs on the docker runtime only, not '${opts.runtime}'`);
    if (opts.mode !== 'iroh')
      throw new LabError('usage', `sut blixard-rs is Iroh-only: mode must be iroh, not '${opts.mode}'`);
    await requireDocker();
    const { binary, commit } = await blixardBinary(opts.blixard ?? {}, {
      build: true,
      onLine: (line) => progress(`blixard build: ${line}`),
    }).catch((err: Error) => {
      throw new LabError('image-build', err.message);
    });
    const image = await ensureBlixardImage({ binary, commit, onProgress: progress });
    const tags = await ensureImages(['hub', 'prometheus']);
    const runId = opts.runId;
    const labels = runLabels(runId, { stateFile: opts.stateFile });
    const names = {
      node: (i: number) => resourceName(runId, `n${i}`),
      hub: resourceName(runId, 'hub'),
      ports: blixardPorts,
    };
    const topology = planTopology(opts.nodes, dockerAddressing(names));
    const state: ClusterState = {
      ...newClusterState({
        ...opts,
        runtime: 'docker',
        mode: 'iroh',
        links: topology.links,
        hub: { tcpAdmin: '', udpAdmin: '', container: names.hub },
      }),
      sut: 'blixard-rs',
      blixard: { commit, image, clientContainer: resourceName(runId, 'client') },
      networks: [],
    };
    const driver = new BlixardDriver(state);
    opts.onDriver?.(driver);
    try {
      const hub = await startHub(state, topology, { ...opts, hubTag: tags.hub, labels, progress });
      for (const n of topology.nodes) {
        const link = topology.links.find((l) => l.from === CLIENT && l.to === n.id) as LinkPlan;
        const etc = join(opts.workDir, n.id, 'etc');
        await mkdir(etc, { recursive: true });
        await chmod(etc, 0o755);
        state.nodes.push({
          id: n.id,
          index: n.index,
          mode: 'iroh',
          irohId: '',
          clientGrpc: `127.0.0.1:${hub.getMappedPort(link.port, 'tcp')}`,
          clientIroh: `127.0.0.1:${hub.getMappedPort(link.port, 'udp')}`,
          metrics: `${n.metricsAddress}`,
          configPath: join(etc, 'start.sh'),
          container: names.node(n.index),
          volume: resourceName(runId, `${n.id}-data`),
        });
      }
      const clientEtc = join(opts.workDir, CLIENT, 'etc');
      await mkdir(clientEtc, { recursive: true });
      await writeFile(join(clientEtc, 'client'), 'the lab runs the blixard CLI here\n');
      progress(
        `nodes: starting ${state.nodes.length} Blixard containers (commit ${commit.slice(0, 12)}) and the CLI's`,
      );
      await Promise.all([
        ...state.nodes.map((node, i) =>
          startContainer(image, labels, {
            name: node.container as string,
            network: state.networks?.[i + 1] as string,
            etc: join(node.configPath, '..'),
            volume: node.volume,
          }),
        ),
        startContainer(image, labels, {
          name: state.blixard?.clientContainer as string,
          network: state.networks?.[0] as string,
          etc: clientEtc,
        }),
      ]);
      await driver.refreshTranslation();
      const [first, ...others] = state.nodes as [NodeState, ...NodeState[]];
      progress(`nodes: ${first.id} bootstraps the cluster`);
      await driver.launch(first, undefined);
      progress(`nodes: ${others.map((n) => n.id).join(', ')} join with ${first.id}'s ticket`);
      for (const n of others) await driver.launch(n, first.ticket);
      if (opts.blixardMembers === 'confirmed') await driver.confirmMembers(first, progress);
      for (const [i, node] of state.nodes.entries()) {
        const ip = await containerIp(node.container as string, state.networks?.[i + 1] as string);
        if (ip) node.metrics = `${ip}:${blixardPorts(node.index).metrics}`;
      }
      if (opts.prometheus !== false)
        await attachPrometheus(state, { labels, image: tags.prometheus, progress });
    } catch (err) {
      await driver.teardown();
      throw err;
    }
    return driver;
  }

  private get clientContainer(): string {
    const name = this.state.blixard?.clientContainer;
    if (!name) throw new Error('blixard-rs state without its client container');
    return name;
  }

  /** Writes the node's start script and waits for the ticket it logs. */
  private async launch(node: NodeState, joinTicket: string | undefined): Promise<void> {
    await writeFile(node.configPath, startScript(nodeArgv(node.index, joinTicket)), { mode: 0o755 });
    await this.awaitTicket(node, new Date());
  }

  /**
   * Asks the leader, with Blixard's own `blixard cluster join --peer <id>@<bind>`, to add every member
   * again (it proposes AddNode whether or not the node is a voter; with no P2P address in the request,
   * the addresses it holds stay), then waits until each node's running configuration lists them all.
   */
  async confirmMembers(leader: NodeState, progress: (line: string) => void = () => {}): Promise<void> {
    const ids = this.state.nodes.map((n) => n.index).sort((a, b) => a - b);
    const all = ids.join(', ');
    const configurations = () =>
      Promise.all(
        this.state.nodes.map(async (n) => ({ id: n.id, voters: votersFromLog(await this.logs(n)) })),
      );
    // A node that is still catching up applies none of the entries its first append commits: a round
    // may leave it short of a voter, and the next round's conf changes reach it applied.
    const rounds = 3;
    for (let round = 1; ; round++) {
      progress(
        `nodes: ${leader.id} adds every member again (blixard cluster join, round ${round} of ${rounds}), so each node's configuration lists all`,
      );
      for (const n of this.state.nodes) {
        const peer = `${n.index}@0.0.0.0:${blixardPorts(n.index).grpc}`;
        const r = await this.cli(
          leader,
          ['cluster', 'join', '--peer', peer, '--local-addr', '{ticket}'],
          10_000,
        );
        if (r.code !== 0)
          throw new LabError(
            'node-unhealthy',
            `blixard cluster join --peer ${peer} through ${leader.id} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-300)}`,
          );
      }
      try {
        await waitUntil({
          what: `every node's Raft configuration to list voters {${all}}`,
          boundMs: BLIXARD_START_MS / 2,
          probe: configurations,
          holds: (seen) => seen.every((x) => x.voters?.join(', ') === all),
          show: (seen) => seen.map((x) => `${x.id}: {${x.voters?.join(', ') ?? 'none logged'}}`).join(', '),
          intervalMs: 500,
        });
        break;
      } catch (err) {
        if (round === rounds) throw new LabError('node-unhealthy', (err as Error).message);
      }
    }
    progress(`nodes: every node's configuration lists voters {${all}}`);
  }

  /** The ticket the node logs after `since` (each start makes a new Iroh key, so a new ticket). */
  private async awaitTicket(node: NodeState, since: Date): Promise<void> {
    const seconds = Math.floor(since.getTime() / 1000) - 1;
    const seen = await waitUntil({
      what: `${node.id}'s Iroh ticket in its log`,
      boundMs: BLIXARD_START_MS,
      probe: async () => {
        const running = await this.isRunning(node);
        const buf = (await this.container(node).logs({
          stdout: true,
          stderr: true,
          since: seconds,
        })) as unknown;
        const { stdout, stderr } = demux(buf as Buffer);
        return { running, log: stdout + stderr };
      },
      // A container that exited will log no ticket: stop waiting, and say what it printed.
      holds: (s) => !s.running || ticketFromLog(s.log) !== undefined,
      show: (s) => s.log.trim().split('\n').slice(-3).join(' | ').slice(-400) || 'no output',
      intervalMs: 500,
    });
    const ticket = ticketFromLog(seen.log);
    if (ticket === undefined)
      throw nodeUnhealthy(
        node.id,
        'its container exited before it logged its ticket',
        seen.log.trim().split('\n').slice(-15),
      );
    node.ticket = ticket;
    node.irohId = ticket;
  }

  /**
   * Every container's translation from its peers' own addresses to its links, from the addresses they
   * have now (a restarted container may come back with another one); applied at once in the running
   * containers, and by each node's start script before Blixard starts.
   */
  async refreshTranslation(): Promise<void> {
    const nets = this.state.networks ?? [];
    const nodeIps = new Map<string, string>();
    for (const [i, n] of this.state.nodes.entries()) {
      const ip = await containerIp(n.container as string, nets[i + 1] as string);
      if (ip) nodeIps.set(n.id, ip);
    }
    const hub = this.state.hub.container as string;
    const sources = [
      {
        id: CLIENT,
        container: this.clientContainer,
        network: nets[0] as string,
        etc: join(this.state.workDir, CLIENT, 'etc'),
      },
      ...this.state.nodes.map((n, i) => ({
        id: n.id,
        container: n.container as string,
        network: nets[i + 1] as string,
        etc: join(n.configPath, '..'),
      })),
    ];
    for (const src of sources) {
      const hubIp = await containerIp(hub, src.network);
      if (!hubIp) throw new LabError('hub', `the hub has no address on ${src.network}`);
      const rules: NatRule[] = this.state.links
        .filter((l) => l.from === src.id && nodeIps.has(l.to))
        .map((l) => ({ peerIp: nodeIps.get(l.to) as string, hubIp, hubPort: l.port }));
      await writeFile(join(src.etc, 'nat.sh'), natScript(rules));
      const c = docker().getContainer(src.container);
      if (
        !(await c.inspect().then(
          (i) => i.State.Running,
          () => false,
        ))
      )
        continue;
      const res = await execIn(c, ['sh', `${ETC_DIR}/nat.sh`], 'root');
      if (res.code !== 0)
        throw new LabError(
          'hub',
          `address translation in ${src.id} failed: ${(res.stderr || res.stdout).trim()}`,
        );
    }
  }

  override async startNode(node: NodeState): Promise<void> {
    const since = new Date();
    const wasRunning = await this.isRunning(node);
    await super.startNode(node);
    if (wasRunning) return;
    await this.refreshTranslation();
    await this.awaitTicket(node, since);
  }

  /**
   * The `blixard` CLI against node `to`, run where `from` sends from: the client container (through
   * the client link) or node `from`'s own container (through the (from → to) link). `{ticket}` in
   * `args` is `to`'s ticket; the VM commands find it in BLIXARD_NODE_ADDR.
   */
  async cli(to: NodeState, args: readonly string[], timeoutMs: number, from = CLIENT): Promise<ExecResult> {
    if (!to.ticket) return { code: 1, stdout: '', stderr: `${to.id} has logged no ticket yet` };
    const ticket = to.ticket;
    const argv = args.map((a) => (a === '{ticket}' ? ticket : a));
    const container = from === CLIENT ? this.clientContainer : this.nodeContainer(from);
    // Each call is a new process and a new Iroh endpoint: never less than it takes to start one.
    const seconds = Math.ceil(Math.max(timeoutMs, BLIXARD_CLI_MIN_MS) / 1000);
    // coreutils' timeout bounds the CLI itself: it has no deadline of its own.
    return execIn(docker().getContainer(container), [
      'env',
      `BLIXARD_NODE_ADDR=${ticket}`,
      'timeout',
      '-k',
      '1',
      String(seconds),
      'blixard',
      ...argv,
    ]);
  }

  /**
   * Whether `from`'s container is on a network where `address` is (a path around the hub): only the
   * hub may share a network with two parties.
   */
  async sharesNetwork(from: string, address: string): Promise<boolean> {
    const container = from === CLIENT ? this.clientContainer : this.nodeContainer(from);
    const ip = address.slice(0, address.lastIndexOf(':'));
    const own = (await docker().getContainer(container).inspect()).NetworkSettings.Networks;
    for (const name of Object.keys(own)) {
      const net = await docker().getNetwork(name).inspect();
      const holders = Object.values((net.Containers ?? {}) as Record<string, { IPv4Address?: string }>);
      if (holders.some((c) => c.IPv4Address?.split('/')[0] === ip)) return true;
    }
    return false;
  }

  /** A node's own Iroh addresses: its container's address on each network, port 50000 + id. */
  async ownAddresses(id: string): Promise<string[]> {
    const node = this.state.nodes.find((n) => n.id === id);
    if (!node) return [];
    const info = await docker()
      .getContainer(node.container as string)
      .inspect();
    return Object.values(info.NetworkSettings.Networks)
      .map((n) => n.IPAddress)
      .filter((ip) => ip)
      .map((ip) => `${ip}:${blixardPorts(node.index).iroh}`);
  }

  /** The lab's contract spoken to the node through its own CLI (see cli-channel.ts). */
  channel(node: NodeState): RpcChannel {
    return new BlixardCliChannel(node, (n, args, ms) => this.cli(n, args, ms));
  }

  private nodeContainer(id: string): string {
    const node = this.state.nodes.find((n) => n.id === id);
    if (!node?.container) throw new Error(`no node '${id}' in this blixard-rs cluster`);
    return node.container;
  }
}

async function containerIp(container: string, network: string): Promise<string | undefined> {
  const info = await docker().getContainer(container).inspect();
  return info.NetworkSettings.Networks[network]?.IPAddress || undefined;
}

async function startContainer(
  image: string,
  labels: Record<string, string>,
  c: { name: string; network: string; etc: string; volume?: string | undefined },
): Promise<void> {
  const mounts: { source: string; target: string; mode: 'ro' | 'rw' }[] = [
    { source: c.etc, target: ETC_DIR, mode: 'ro' },
  ];
  if (c.volume) {
    await docker().createVolume({ Name: c.volume, Labels: labels });
    mounts.push({ source: c.volume, target: DATA_DIR, mode: 'rw' as const });
  }
  await new GenericContainer(image)
    .withName(c.name)
    .withLabels(labels)
    .withNetworkMode(c.network)
    // The translation to the hub is installed inside the container (its own network namespace only).
    .withAddedCapabilities('NET_ADMIN')
    .withBindMounts(mounts)
    .withStartupTimeout(60_000)
    .start();
}
