/**
 * The Toxiproxy exporter (toxiproxy-exporter.ts) in a container of the runtime image (Node 24 and
 * nothing of the project but this one file, mounted read-only), labelled with the run. On the host
 * network for the process runtime; on the edge network (where the hub and Prometheus are) for the
 * docker runtime.
 */

import { join } from 'node:path';
import Docker from 'dockerode';
import { release, sleep } from '../../node/lib/index.ts';
import { type ContainerNetwork, placement, startPlaced } from './placement.ts';

export const EXPORTER_FILE = join(import.meta.dirname, 'toxiproxy-exporter.ts');
export const EXPORTER_PORT = 9101;
const INSIDE = '/opt/blixard/toxiproxy-exporter.ts';

export interface ToxiproxyExporterOptions {
  /** The runtime image (images/: Node 24). */
  image: string;
  name: string;
  labels: Record<string, string>;
  /** Toxiproxy's API as the exporter's container reaches it. */
  toxiproxy: string;
  network: ContainerNetwork;
}

export interface RunningExporter {
  container: string;
  /** host:port as Prometheus (on the same network) scrapes it. */
  address: string;
}

export async function startToxiproxyExporter(opts: ToxiproxyExporterOptions): Promise<RunningExporter> {
  const d = new Docker();
  const host = opts.network.kind === 'host';
  const listen = opts.network.kind === 'host' ? `127.0.0.1:${opts.network.port}` : `0.0.0.0:${EXPORTER_PORT}`;
  if (opts.network.kind === 'networks' && opts.network.networks.length === 0)
    throw new Error('toxiproxy exporter: no network to attach to');
  const placed = placement(opts.network, EXPORTER_PORT);
  const container = await d.createContainer({
    name: opts.name,
    Image: opts.image,
    Labels: opts.labels,
    User: '10001',
    Entrypoint: ['/usr/bin/tini', '--', 'node', INSIDE],
    Cmd: ['--toxiproxy', opts.toxiproxy, '--listen', listen],
    ExposedPorts: placed.ExposedPorts,
    HostConfig: { ...placed.HostConfig, Binds: [`${EXPORTER_FILE}:${INSIDE}:ro`] },
  });
  try {
    const probe = await startPlaced(
      d,
      container,
      opts.network,
      EXPORTER_PORT,
      'toxiproxy exporter',
      `http://${listen}`,
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${probe}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      const info = await container.inspect();
      if (!info.State.Running) {
        const logs = (await container.logs({ stdout: true, stderr: true, tail: 20 })).toString();
        throw new Error(`toxiproxy exporter exited (status ${info.State.ExitCode}): ${logs.trim()}`);
      }
      if (Date.now() > deadline) throw new Error(`toxiproxy exporter at ${probe} did not answer`);
      await sleep(200);
    }
    return { container: opts.name, address: host ? listen : `${opts.name}:${EXPORTER_PORT}` };
  } catch (err) {
    await release(container.remove({ force: true, v: true }));
    throw err;
  }
}
