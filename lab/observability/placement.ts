/**
 * Where the lab's observability containers (Prometheus, Grafana, the Toxiproxy exporter) run: on the
 * host's network at a port of their own, or on the lab's networks with their port published on a
 * loopback port the engine picks, so the lab's process reaches them either way.
 */
import type Docker from 'dockerode';

export type ContainerNetwork = { kind: 'host'; port: number } | { kind: 'networks'; networks: string[] };

/** The createContainer fields that place a container serving on `port` (HostConfig gets its Binds added). */
export function placement(network: ContainerNetwork, port: number) {
  if (network.kind === 'host')
    return { ExposedPorts: {}, HostConfig: { NetworkMode: 'host', PortBindings: {} } };
  return {
    ExposedPorts: { [`${port}/tcp`]: {} },
    HostConfig: {
      NetworkMode: network.networks[0],
      PortBindings: { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
    },
  };
}

/**
 * Joins the container to the rest of its networks and starts it; returns its base URL as the lab's
 * process reaches it: `onHost` on the host's network, else the loopback port published for `port`.
 */
export async function startPlaced(
  d: Docker,
  container: Docker.Container,
  network: ContainerNetwork,
  port: number,
  what: string,
  onHost: string,
): Promise<string> {
  const rest = network.kind === 'networks' ? network.networks.slice(1) : [];
  for (const net of rest) await d.getNetwork(net).connect({ Container: container.id });
  await container.start();
  if (network.kind === 'host') return onHost;
  const published = (await container.inspect()).NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort;
  if (!published) throw new Error(`${what}: port ${port} was not published`);
  return `http://127.0.0.1:${published}`;
}
