/**
 * Live migration settings: a node re-reads `[transport.migration]` on SIGHUP and reports the strategy
 * in use (GetClusterStatus and /metrics) without a restart; a bad file is refused, the reason logged,
 * and the settings in use kept.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadConsistency } from './gen/blixard_pb.js';
import { LocalCluster } from './testing/index.ts';

/** Start on a loaded host, then a reload: a file read and a few scrapes. */
const START_BOUND_MS = 30_000;
const RELOAD_BOUND_MS = 10_000;

describe('SIGHUP reloads [transport.migration]', () => {
  let cluster: LocalCluster;
  let original: string;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 1, mode: 'dual', preferIroh: ['health'] });
    original = await readFile(cluster.spec('n1').configFile, 'utf8');
  }, START_BOUND_MS + 5000);
  afterAll(() => cluster?.stop());

  const strategy = async () => {
    const { cluster: c } = await cluster.clients('n1');
    const s = await c.getClusterStatus({ consistency: ReadConsistency.LOCAL }, { timeoutMs: 2000 });
    return s.strategy;
  };
  const metrics = async () =>
    (await fetch(`http://127.0.0.1:${cluster.spec('n1').metricsPort}/metrics`)).text();
  const uptime = async () => {
    const { cluster: c } = await cluster.clients('n1');
    return Number((await c.healthCheck({}, { timeoutMs: 2000 })).uptimeSecs);
  };

  it('applies a changed strategy in place: same process, new strategy in status and metrics', async () => {
    const before = await poll('n1 serving with its first strategy', START_BOUND_MS, strategy, (s) => !!s);
    expect(before).toMatchObject({ preferIroh: ['health'], raftTransport: 'grpc', fallbackToGrpc: false });
    const pid = cluster.pid('n1');
    const upBefore = await uptime();

    await writeFile(
      cluster.spec('n1').configFile,
      original
        .replace('prefer_iroh = ["health"]', 'prefer_iroh = ["health", "status", "vm_ops"]')
        .replace('raft_transport = "grpc"', 'raft_transport = "iroh"')
        .replace('fallback_to_grpc = false', 'fallback_to_grpc = true'),
    );
    cluster.signal('n1', 'SIGHUP');
    const after = await poll(
      'the new strategy',
      RELOAD_BOUND_MS,
      strategy,
      (s) => s?.raftTransport === 'iroh',
    );
    expect(after).toMatchObject({
      preferIroh: ['health', 'status', 'vm_ops'],
      raftTransport: 'iroh',
      fallbackToGrpc: true,
    });
    expect(cluster.pid('n1')).toBe(pid);
    expect(cluster.isRunning('n1')).toBe(true);
    expect(await uptime()).toBeGreaterThanOrEqual(upBefore);
    const text = await metrics();
    expect(
      value(text, 'blixard_transport_migration_info', {
        prefer_iroh: 'health,status,vm_ops',
        raft_transport: 'iroh',
        fallback_to_grpc: 'true',
      }),
    ).toBe(1);
    expect(value(text, 'blixard_transport_migration_info', { prefer_iroh: 'health' })).toBeUndefined();
    expect(value(text, 'blixard_config_reloads_total', { outcome: 'applied' })).toBe(1);
    expect(cluster.logTail('n1', 50)).toMatch(/"msg":"migration settings reloaded"/);
  });

  it('refuses a bad file with the reason in the log and keeps the settings in use', async () => {
    const inUse = await strategy();
    await writeFile(
      cluster.spec('n1').configFile,
      original.replace('prefer_iroh = ["health"]', 'prefer_iroh = ["health", "teleport"]'),
    );
    cluster.signal('n1', 'SIGHUP');
    await poll(
      'the refusal in the log',
      RELOAD_BOUND_MS,
      async () => cluster.logTail('n1', 50),
      (l) => l.includes('"msg":"config reload refused"'),
    );
    expect(cluster.logTail('n1', 50)).toMatch(/transport\.migration\.prefer_iroh\.1: Invalid option/);
    expect(await strategy()).toEqual(inUse);
    expect(value(await metrics(), 'blixard_config_reloads_total', { outcome: 'refused' })).toBe(1);
  });

  it('refuses a mode change: that needs a restart, one node at a time', async () => {
    const inUse = await strategy();
    await writeFile(
      cluster.spec('n1').configFile,
      original
        .replace('mode = "dual"', 'mode = "iroh"')
        .replace('raft_transport = "grpc"', 'raft_transport = "iroh"'),
    );
    cluster.signal('n1', 'SIGHUP');
    await poll(
      'the second refusal',
      RELOAD_BOUND_MS,
      metrics,
      (t) => value(t, 'blixard_config_reloads_total', { outcome: 'refused' }) === 2,
    );
    expect(cluster.logTail('n1', 50)).toMatch(
      /transport\.mode: changed from dual to iroh: a mode change needs a restart/,
    );
    expect(await strategy()).toEqual(inUse);
    expect(cluster.isRunning('n1')).toBe(true);
  });
});

/** The value of the one series of `name` whose labels include `labels` (undefined when none). */
function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => inner.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Polls `probe` until `holds`, within `boundMs`; the error names what was last seen. */
async function poll<T>(
  what: string,
  boundMs: number,
  probe: () => Promise<T>,
  holds: (v: T) => boolean,
): Promise<T> {
  const until = Date.now() + boundMs;
  let last = 'nothing yet';
  for (;;) {
    try {
      const v = await probe();
      if (holds(v)) return v;
      last = (typeof v === 'string' ? v : JSON.stringify(v))?.slice(-300) ?? String(v);
    } catch (err) {
      last = `error: ${(err as Error).message}`;
    }
    if (Date.now() > until) throw new Error(`no ${what} within ${boundMs} ms; last saw: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
