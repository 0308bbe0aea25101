/**
 * Short-lived scrape targets on the host, such as `lab load` while it runs: one file_sd JSON file in
 * the run's `prometheus/targets/` folder, which the run's Prometheus watches (mounted at
 * CONTAINER_TARGETS_DIR). The target is scraped from the moment the file appears until it goes.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { ClusterState } from '../state/index.ts';

export function scrapeTargetsDir(state: Pick<ClusterState, 'workDir'>): string {
  return join(state.workDir, 'prometheus', 'targets');
}

/**
 * The host's address as the run's Prometheus reaches it: loopback on the process runtime (it runs on
 * the host's network); on docker, the gateway of the edge network it sits on (the host's side of
 * that bridge), so a listener there is reachable from it and from nothing outside the host.
 */
export async function hostAddressForPrometheus(state: ClusterState): Promise<string> {
  if (state.runtime === 'process') return '127.0.0.1';
  const edge = state.networks?.[0];
  if (!edge) throw new Error(`run ${state.runId}: no edge network to reach the host from`);
  const info = (await new Docker().getNetwork(edge).inspect()) as {
    IPAM?: { Config?: { Gateway?: string }[] };
  };
  const gateway = info.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  if (!gateway) throw new Error(`network ${edge}: no gateway address to reach the host by`);
  return gateway;
}

/** Adds `address` (host:port) as a target with `labels`; `remove` takes it away again. */
export async function addScrapeTarget(
  state: Pick<ClusterState, 'workDir'>,
  name: string,
  address: string,
  labels: Record<string, string>,
): Promise<{ file: string; remove: () => Promise<void> }> {
  const dir = scrapeTargetsDir(state);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  // Written whole, then renamed: Prometheus never reads half a file.
  await writeFile(`${file}.tmp`, `${JSON.stringify([{ targets: [address], labels }])}\n`, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
  return { file, remove: () => rm(file, { force: true }) };
}
