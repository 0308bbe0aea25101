/**
 * Probes through one side of one link: HealthCheck round trips on a connection that goes exactly
 * where the link's source sends (from the host, or from inside the source node's container on
 * docker). Every Iroh probe dials from an endpoint of its own that knows no address of the node but
 * the link's, so it cannot find a way around the hub that the system under test would not.
 */
import type { Cluster } from '../../lab/runtime/index.ts';
import {
  ClusterService,
  createClient,
  GrpcChannel,
  type OwnEndpointIrohChannel,
  type RpcChannel,
} from '../../node/transport/index.ts';
import { openBlixardProbe } from './blixard-probe.ts';
import { openContainerProbe } from './container-probe.ts';
import type { LinkProbe, ProbeTarget } from './probe-types.ts';

/** A connection through a link side from the host (the lab's identity), kept open until closed. */
export function openHostProbe(cluster: Cluster, target: ProbeTarget): LinkProbe {
  const open = (address: string, connectTimeoutMs: number): RpcChannel =>
    target.side === 'tcp'
      ? new GrpcChannel(address)
      : cluster.client.irohChannel({ nodeId: target.irohId, addrs: [address] }, { connectTimeoutMs });
  const channel = open(target.address, 3000);
  const iroh = target.side === 'udp' ? (channel as OwnEndpointIrohChannel) : undefined;
  return {
    target,
    dialed: target.address,
    rtt: (timeoutMs = 5000) => healthRtt(channel, timeoutMs),
    async paths() {
      if (!iroh) return undefined;
      return (await iroh.connect())
        .paths()
        .filter((p) => p.isIp)
        .map((p) => p.remoteAddr);
    },
    async lostPackets() {
      return iroh ? (await iroh.connect()).stats().lostPackets : undefined;
    },
    async reaches(address) {
      const straight = open(address, 1500);
      try {
        return (await answers({ rtt: (ms) => healthRtt(straight, ms ?? 1500) }, 1500)) !== undefined;
      } finally {
        await straight.close();
      }
    },
    close: () => channel.close(),
  };
}

/** A connection through a link side from where its source sends: the host, or the source's container. */
export async function openSourceProbe(cluster: Cluster, target: ProbeTarget): Promise<LinkProbe> {
  if (cluster.sut === 'blixard-rs') return openBlixardProbe(cluster, target);
  if (!target.container) return openHostProbe(cluster, target);
  const p = await openContainerProbe({
    container: target.container,
    transport: target.side,
    address: target.address,
    irohId: target.irohId,
    keyFile: target.keyFile ?? '',
  });
  return {
    target,
    dialed: p.resolved,
    rtt: (ms = 5000) => p.rtt(ms),
    paths: async () => (target.side === 'udp' ? p.paths() : undefined),
    lostPackets: async () => undefined,
    reaches: (address) => p.reaches(address),
    close: () => p.close(),
  };
}

/**
 * One HealthCheck through a link side on a new connection from where its source sends: the round
 * trip in ms, or undefined when no answer came within `timeoutMs`.
 */
export async function probeOnce(
  cluster: Cluster,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<number | undefined> {
  const probe = await openSourceProbe(cluster, target);
  try {
    return await answers(probe, timeoutMs);
  } finally {
    await probe.close();
  }
}

/** The round trip in ms, or undefined when no answer came in time: for checks where silence is the point. */
export async function answers(probe: Pick<LinkProbe, 'rtt'>, timeoutMs: number): Promise<number | undefined> {
  try {
    return await probe.rtt(timeoutMs);
  } catch {
    return undefined;
  }
}

/** The fastest of n round trips: the path's own delay, least disturbed by load on the host. */
export async function fastest(
  probe: Pick<LinkProbe, 'rtt'>,
  n: number,
  timeoutMs = 5000,
  tries = 1,
): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) best = Math.min(best, await answered(probe, tries, timeoutMs));
  return best;
}

/**
 * One answer, asked up to `tries` times: for a baseline taken before any fault, where one lost call
 * (a Blixard CLI process whose endpoint never got its handshake through) says nothing about the link,
 * while a link that carries nothing still fails every try.
 */
export async function answered(
  probe: Pick<LinkProbe, 'rtt'>,
  tries: number,
  timeoutMs = 5000,
): Promise<number> {
  const errors: string[] = [];
  for (let i = 0; ; i++) {
    try {
      return await probe.rtt(timeoutMs);
    } catch (err) {
      // A single try fails as the call did.
      if (tries <= 1) throw err;
      errors.push((err as Error).message);
      if (i + 1 >= tries) throw new Error(`${tries} tries, no answer: ${errors.join('; ')}`);
    }
  }
}

async function healthRtt(channel: RpcChannel, timeoutMs: number): Promise<number> {
  const client = createClient(ClusterService, channel);
  const t0 = performance.now();
  await client.healthCheck({}, { timeoutMs });
  return performance.now() - t0;
}
