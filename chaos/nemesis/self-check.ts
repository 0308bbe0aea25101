/**
 * The fault self-check: before chaos starts, for every link of the hub and every transport it
 * carries, prove on the wire that
 *   - traffic flows through it (HealthCheck answers, and an Iroh connection's every path is the link),
 *   - a cut stops it (on the connection already open and on a fresh one),
 *   - an injected delay shows in the measured round trip.
 * A fault that does not take throws a SelfCheckError naming the link and transport; it is never a
 * pass. The probes dial exactly what the system under test dials: for `client-nJ` the address the
 * lab's clients use, for `nI-nJ` the peer address in node nI's own config.
 */
import { readFile } from 'node:fs/promises';
import type { Endpoint } from '@number0/iroh';
import { parse } from 'smol-toml';
import type { LinkSide } from '../../hub/links/index.ts';
import type { Cluster } from '../../lab/runtime/index.ts';
import { irohKeyFromHex, secretKeyOf } from '../../lab/runtime/iroh-key.ts';
import {
  bindIrohEndpoint,
  ClusterService,
  createClient,
  GrpcChannel,
  IrohChannel,
  type RpcChannel,
} from '../../node/transport/index.ts';
import { openContainerProbe } from './container-probe.ts';

export interface ProbeTarget {
  link: string;
  from: string;
  to: string;
  transport: LinkSide;
  /** host:port the probe dials (what the link's source dials). */
  address: string;
  /** The address the hub listens on for this link (what `address` must be). */
  listen: string;
  /** Iroh node id of the target node. */
  irohId: string;
  /** Docker runtime, node-to-node links: probe from inside the source node's container. */
  container?: string | undefined;
  /** ...with the source node's Iroh key file, as its container sees it. */
  keyFile?: string | undefined;
}

export interface ProbeResult {
  link: string;
  transport: LinkSide;
  baselineMs: number;
  /** Round trip with the injected delay. */
  delayedMs: number;
  ok: true;
}

export interface SelfCheckReport {
  delayMs: number;
  results: ProbeResult[];
  ms: number;
}

export class SelfCheckError extends Error {
  override name = 'SelfCheckError';
  /** Each link and transport whose fault did not take, with why. */
  readonly failures: { link: string; transport: LinkSide; reason: string }[];
  constructor(failures: { link: string; transport: LinkSide; reason: string }[]) {
    super(
      `fault self-check failed: ${failures.length} fault(s) did not take on the wire; the run is aborted:\n${failures
        .map((f) => `  - link ${f.link} (${f.transport}): ${f.reason}`)
        .join('\n')}`,
    );
    this.failures = failures;
  }
}

export interface SelfCheckOptions {
  /** The delay injected to see it in the RTT (default 100 ms). */
  delayMs?: number;
  /** How long a probe through a cut link waits for an answer that must not come (default 1500 ms). */
  cutWaitMs?: number;
  /** Only these links (default: all). */
  links?: readonly string[];
  /** Probes at once (default 6). */
  concurrency?: number;
  /**
   * How long a probe keeps its connection busy before the cut (default 2000 ms): long enough for
   * Iroh to find and switch to a direct path if one exists, so a bypass shows before chaos starts.
   */
  settleMs?: number;
}

/** What each link's source dials, per transport, read from the cluster's state and node configs. */
export async function probeTargets(cluster: Cluster, only?: readonly string[]): Promise<ProbeTarget[]> {
  const peerAddrs = new Map<string, { grpc?: string; iroh?: string }>();
  const keyFiles = new Map<string, string>();
  for (const node of cluster.state.nodes) {
    const config = parse(await readFile(node.configPath, 'utf8')) as {
      node?: { data_dir?: string };
      transport?: { iroh?: { secret_key_file?: string } };
      cluster?: { peers?: { id: string; grpc?: string; iroh_addrs?: string[] }[] };
    };
    const key = config.transport?.iroh?.secret_key_file ?? 'iroh_secret.key';
    keyFiles.set(node.id, key.startsWith('/') ? key : `${config.node?.data_dir ?? '.'}/${key}`);
    for (const peer of config.cluster?.peers ?? []) {
      peerAddrs.set(`${node.id}-${peer.id}`, {
        ...(peer.grpc !== undefined && { grpc: peer.grpc }),
        ...(peer.iroh_addrs?.[0] !== undefined && { iroh: peer.iroh_addrs[0] }),
      });
    }
  }
  const targets: ProbeTarget[] = [];
  for (const link of cluster.state.links) {
    if (only && !only.includes(link.name)) continue;
    const to = cluster.state.nodes.find((n) => n.id === link.to);
    if (!to) continue;
    const served: LinkSide[] = to.mode === 'grpc' ? ['tcp'] : to.mode === 'iroh' ? ['udp'] : ['tcp', 'udp'];
    for (const transport of served) {
      let address: string | undefined;
      if (link.from === 'client') address = transport === 'tcp' ? to.clientGrpc : to.clientIroh;
      else {
        const peer = peerAddrs.get(link.name);
        address = transport === 'tcp' ? peer?.grpc : peer?.iroh;
      }
      if (!address) throw new Error(`${link.from}'s config has no ${transport} address for ${link.to}`);
      targets.push({
        link: link.name,
        from: link.from,
        to: link.to,
        transport,
        address,
        listen: transport === 'tcp' ? link.tcp.listen : link.udp.listen,
        irohId: to.irohId,
        ...(cluster.runtime === 'docker' &&
          link.from !== 'client' && {
            container: cluster.state.nodes.find((n) => n.id === link.from)?.container,
            keyFile: keyFiles.get(link.from),
          }),
      });
    }
  }
  return targets;
}

export async function selfCheck(cluster: Cluster, options: SelfCheckOptions = {}): Promise<SelfCheckReport> {
  const started = performance.now();
  const delayMs = options.delayMs ?? 100;
  const cutWaitMs = options.cutWaitMs ?? 1500;
  const settleMs = options.settleMs ?? 2000;
  const targets = await probeTargets(cluster, options.links);
  const failures: { link: string; transport: LinkSide; reason: string }[] = [];
  const results: ProbeResult[] = [];
  try {
    await cluster.links.reset();
    const queue = [...targets];
    const worker = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        try {
          // A probe that hangs is a failure of the check, not a reason to wait forever.
          let timer: NodeJS.Timeout | undefined;
          const limit = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('the probe did not finish within 90 s')), 90_000);
          });
          try {
            results.push(await Promise.race([probeLink(cluster, t, delayMs, cutWaitMs, settleMs), limit]));
          } finally {
            clearTimeout(timer);
          }
        } catch (err) {
          failures.push({ link: t.link, transport: t.transport, reason: (err as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 6 }, worker));
  } finally {
    await cluster.links.reset().catch(() => {});
  }
  if (failures.length > 0) {
    failures.sort((a, b) => a.link.localeCompare(b.link) || a.transport.localeCompare(b.transport));
    throw new SelfCheckError(failures);
  }
  results.sort((a, b) => a.link.localeCompare(b.link) || a.transport.localeCompare(b.transport));
  return { delayMs, results, ms: Math.round(performance.now() - started) };
}

function openChannel(endpoint: Endpoint | undefined, t: ProbeTarget): RpcChannel {
  if (t.transport === 'tcp') return new GrpcChannel(t.address);
  if (!endpoint) throw new Error('no Iroh endpoint');
  return new IrohChannel(endpoint, { nodeId: t.irohId, addrs: [t.address] }, { connectTimeoutMs: 3000 });
}

/** One HealthCheck round trip in ms, or the error. */
async function roundTrip(channel: RpcChannel, timeoutMs: number): Promise<number> {
  const client = createClient(ClusterService, channel);
  const t0 = performance.now();
  await client.healthCheck({}, { timeoutMs });
  return performance.now() - t0;
}

async function answersWithin(channel: RpcChannel, timeoutMs: number): Promise<number | undefined> {
  try {
    return await roundTrip(channel, timeoutMs);
  } catch {
    return undefined;
  }
}

/** The fastest of n round trips: the path's own delay, least disturbed by load on the host. */
async function minRtt(channel: RpcChannel, n: number, timeoutMs: number): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) best = Math.min(best, await roundTrip(channel, timeoutMs));
  return best;
}

/**
 * Where a node's own Iroh endpoint listens, as others could reach it without the hub: its bind
 * address (process runtime) or its container's addresses on its networks (docker).
 */
export async function directIrohAddresses(cluster: Cluster, nodeId: string): Promise<string[]> {
  const node = cluster.state.nodes.find((n) => n.id === nodeId);
  if (!node) return [];
  const config = parse(await readFile(node.configPath, 'utf8')) as {
    transport?: { iroh?: { bind_address?: string } };
  };
  const bind = config.transport?.iroh?.bind_address;
  if (!bind) return [];
  const port = bind.slice(bind.lastIndexOf(':') + 1);
  if (!node.container) return [bind];
  const { default: Docker } = await import('dockerode');
  const info = await new Docker().getContainer(node.container).inspect();
  return Object.values(info.NetworkSettings.Networks)
    .map((n) => n.IPAddress)
    .filter((ip) => ip)
    .map((ip) => `${ip}:${port}`);
}

/** One connection through a link, from the host or from inside the source's container. */
interface Probe {
  /** The address dialled, resolved: every Iroh path must go there. */
  readonly dialed: string;
  rtt(timeoutMs: number): Promise<number>;
  /** Iroh: the connection's IP paths; undefined for TCP. */
  paths(): Promise<string[] | undefined>;
  /** Iroh: whether the target node answers at `address` straight, not through the link. */
  reaches(address: string): Promise<boolean>;
  close(): Promise<void>;
}

async function openAnyProbe(cluster: Cluster, t: ProbeTarget): Promise<Probe> {
  if (t.container) {
    const p = await openContainerProbe({
      container: t.container,
      transport: t.transport,
      address: t.address,
      irohId: t.irohId,
      keyFile: t.keyFile ?? '',
    });
    return {
      dialed: p.resolved,
      rtt: (ms) => p.rtt(ms),
      paths: async () => (t.transport === 'udp' ? p.paths() : undefined),
      reaches: (address) => p.reaches(address),
      close: () => p.close(),
    };
  }
  const p = await openProbe(cluster, t);
  return {
    dialed: t.address,
    rtt: (ms) => p.rtt(ms),
    paths: async () => (await p.iroh())?.paths,
    reaches: async (address) =>
      (await probeOnce(cluster, { ...t, transport: 'udp', address }, 1500)) !== undefined,
    close: () => p.close(),
  };
}

/**
 * One HealthCheck through a link side on a new connection, from where its source sends (the host, or
 * the source node's container on docker): the round trip in ms, or undefined when no answer came.
 */
export async function probeFromSource(
  cluster: Cluster,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<number | undefined> {
  const probe = await openAnyProbe(cluster, target);
  try {
    return await answers(probe, timeoutMs);
  } finally {
    await probe.close();
  }
}

/** A connection through a link side from where its source sends; `fastest` gives its path's delay. */
export async function openSourceProbe(
  cluster: Cluster,
  target: ProbeTarget,
): Promise<{ fastest(n: number): Promise<number>; close(): Promise<void> }> {
  const probe = await openAnyProbe(cluster, target);
  return { fastest: (n) => fastest(probe, n, 5000), close: () => probe.close() };
}

async function answers(probe: Probe, timeoutMs: number): Promise<number | undefined> {
  try {
    return await probe.rtt(timeoutMs);
  } catch {
    return undefined;
  }
}

async function fastest(probe: Probe, n: number, timeoutMs: number): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) best = Math.min(best, await probe.rtt(timeoutMs));
  return best;
}

async function pathsOf(probe: Probe): Promise<string> {
  const paths = await probe.paths().catch(() => undefined);
  return paths ? ` (Iroh paths: ${paths.join(', ') || 'none'})` : '';
}

async function probeLink(
  cluster: Cluster,
  t: ProbeTarget,
  delayMs: number,
  cutWaitMs: number,
  settleMs: number,
): Promise<ProbeResult> {
  const link = await cluster.links.get(t.link, [t.transport]);
  const probes: Probe[] = [];
  const open = async () => {
    const p = await openAnyProbe(cluster, t);
    probes.push(p);
    return p;
  };
  try {
    // 1. Traffic flows, and through the hub.
    const existing = await open();
    let baselineMs: number;
    try {
      await existing.rtt(5000);
      baselineMs = await fastest(existing, 5, 5000);
      const settle = performance.now() + settleMs;
      while (performance.now() < settle) {
        await existing.rtt(5000);
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (err) {
      throw new Error(`no answer through ${t.address} before any fault (${(err as Error).message})`);
    }
    const paths = await existing.paths();
    const away = (paths ?? []).filter((p) => p !== existing.dialed);
    if (away.length > 0) {
      throw new Error(
        `the Iroh connection has a direct path to ${away.join(', ')} that bypasses the hub (the link is ${existing.dialed})`,
      );
    }

    // Iroh uses every address it learns for a node: if the source can reach the node's own address
    // around the hub, a fault on the link may not hold even when this connection stayed on it.
    if (t.transport === 'udp') {
      for (const direct of await directIrohAddresses(cluster, t.to)) {
        if (await existing.reaches(direct)) {
          throw new Error(
            `${t.from} reaches ${t.to}'s Iroh endpoint directly at ${direct}, around the hub: UDP faults on this link cannot be relied on`,
          );
        }
      }
    }

    // 2. A cut stops it: on the open connection and on a fresh one.
    await link.cut();
    try {
      const still = await answers(existing, cutWaitMs);
      if (still !== undefined)
        throw new Error(
          `a cut did not stop traffic: HealthCheck answered in ${still.toFixed(1)} ms on the open connection to ${t.address}${await pathsOf(existing)}`,
        );
      const fresh = await answers(await open(), cutWaitMs);
      if (fresh !== undefined)
        throw new Error(
          `a cut did not stop traffic: HealthCheck answered in ${fresh.toFixed(1)} ms on a new connection to ${t.address}${await pathsOf(existing)}`,
        );
    } finally {
      await link.heal();
    }

    // 3. A delay shows in the round trip (on a new connection: the old one may still be backing off).
    const after = await open();
    const deadline = performance.now() + 20_000;
    while ((await answers(after, 2000)) === undefined) {
      if (performance.now() > deadline)
        throw new Error(`no answer through ${t.address} after the link healed`);
    }
    const toxic = await link.addToxic(
      { name: 'selfcheck_latency', type: 'latency', attributes: { latency: delayMs } },
      { transports: [t.transport] },
    );
    let delayedMs: number;
    try {
      delayedMs = await fastest(after, 3, 5000 + delayMs * 4);
    } finally {
      await link.removeToxic(toxic).catch(() => {});
    }
    // At least the delay itself, and clearly above the baseline (a baseline inflated by delayed ACKs
    // may partly overlap an injected delay, so the sum is not required).
    if (delayedMs < 0.9 * delayMs || delayedMs < baselineMs + 0.5 * delayMs) {
      throw new Error(
        `an injected ${delayMs} ms delay did not show: round trip ${delayedMs.toFixed(1)} ms against ${baselineMs.toFixed(1)} ms before`,
      );
    }
    return { link: t.link, transport: t.transport, baselineMs, delayedMs, ok: true };
  } finally {
    await Promise.allSettled(probes.map((p) => p.close()));
  }
}

/**
 * One HealthCheck through a link on one transport, on a new connection (and for Iroh a new endpoint,
 * which knows no address of the node but the link's): the round trip in ms, or undefined when no
 * answer came within `timeoutMs`.
 */
export async function probeOnce(
  cluster: Cluster,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<number | undefined> {
  const endpoint =
    target.transport === 'udp'
      ? await bindIrohEndpoint({
          bindAddress: '127.0.0.1:0',
          secretKey: secretKeyOf(irohKeyFromHex(cluster.state.client.secretHex)),
        })
      : undefined;
  const channel = openChannel(endpoint, target);
  try {
    return await answersWithin(channel, timeoutMs);
  } finally {
    await channel.close().catch(() => {});
    await endpoint?.close().catch(() => {});
  }
}

export interface LinkProbe {
  target: ProbeTarget;
  /** One HealthCheck round trip in ms (throws on no answer). */
  rtt(timeoutMs?: number): Promise<number>;
  /** The fastest of n round trips. */
  minRtt(n: number, timeoutMs?: number): Promise<number>;
  /** Iroh only: the connection's IP paths and its lost-packet counter. */
  iroh(): Promise<{ paths: string[]; lostPackets: number } | undefined>;
  close(): Promise<void>;
}

/** A connection through one link that stays open (its own Iroh endpoint, knowing only the link). */
export async function openProbe(cluster: Cluster, target: ProbeTarget): Promise<LinkProbe> {
  const endpoint =
    target.transport === 'udp'
      ? await bindIrohEndpoint({
          bindAddress: '127.0.0.1:0',
          secretKey: secretKeyOf(irohKeyFromHex(cluster.state.client.secretHex)),
        })
      : undefined;
  const channel = openChannel(endpoint, target);
  return {
    target,
    rtt: (timeoutMs = 5000) => roundTrip(channel, timeoutMs),
    minRtt: (n, timeoutMs = 5000) => minRtt(channel, n, timeoutMs),
    async iroh() {
      if (!(channel instanceof IrohChannel)) return undefined;
      const conn = await channel.connect();
      return {
        paths: conn
          .paths()
          .filter((p) => p.isIp)
          .map((p) => p.remoteAddr),
        lostPackets: conn.stats().lostPackets,
      };
    },
    async close() {
      await channel.close().catch(() => {});
      await endpoint?.close().catch(() => {});
    },
  };
}
