/**
 * One docker chaos run with every nemesis package, each in its own slot: the run's events show each
 * applied where it was aimed — the leader killed while writes were open and started again, the client
 * kept on the old leader's side alone, the node seen voting restarted, a follower removed under a
 * partition and a voter again after the heal, leadership handed to a follower under load — and the
 * judges find nothing wrong. Skipped where no Docker engine answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerReachable } from '../../lab/runtime/index.ts';
import { type RunEvent, readEvents } from '../record/index.ts';
import { parseIncident } from '../schedule/index.ts';
import { runIncident } from './run.ts';

const docker = await dockerReachable();

const INCIDENT = `
name: every nemesis package
seed: 7
self_check: false        # proven elsewhere (nemesis/docker.test.ts); this run is about where faults land
cluster: { nodes: 3, mode: dual, runtime: docker }
workload: { mix: { register: 16, set: 2 }, keys: 12, duration: 60s, timeout: 2s, max_ops: 100000 }
packages:
  - leader-kill-under-writes
  - leader-minority-clients
  - restart-after-vote
  - membership-under-partition
  - { name: transfer-under-load, transfers: 2 }
`;

const dirs: string[] = [];
afterAll(async () => {
  if (!process.env.KEEP_RUNS) await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

type Detail = Record<string, unknown> & { node?: string; when?: { on: string; met: boolean; seen: string } };

describe.skipIf(!docker)('a docker chaos run with every nemesis package', () => {
  it('applies each package where it is aimed, and the run passes', async () => {
    const runsDir = await mkdtemp(join(tmpdir(), 'runs-'));
    dirs.push(runsDir);
    const run = await runIncident({ incident: parseIncident(INCIDENT, 'packages.yaml'), runsDir });
    const events = await readEvents(run.dir);
    const applied = events.filter((e) => e.op !== undefined && e.kind !== 'nemesis-error');
    const of = (f: (e: RunEvent) => boolean) => applied.filter(f).map((e) => e.detail as Detail);
    const opDo = (d: string) => (e: RunEvent) => (e.op as { do: string }).do === d;
    const all = JSON.stringify(applied.map((e) => [e.op, e.detail]));

    expect(run.verdict.nemesisErrors, all).toEqual([]);
    expect(run.verdict.status, run.verdict.reason).toBe('pass');

    // The leader, hit while writes were open, and the same node started again.
    const [kill] = of(opDo('kill'));
    const [start] = of(opDo('start'));
    expect(kill?.when?.met, all).toBe(true);
    expect(start?.node).toBe(kill?.node);

    // The client hears the old leader alone.
    const [minority] = of(
      (e) => opDo('partition')(e) && (e.op as { kind: string }).kind === 'leader-clients',
    );
    const others = ['n1', 'n2', 'n3'].filter((n) => n !== minority?.node);
    expect(minority?.cut, all).toEqual(expect.arrayContaining(others.map((n) => `client-${n}`)));
    expect(minority?.cut).not.toContain(`client-${minority?.node}`);

    // The node seen granting its vote is the one restarted, not the leader cut off.
    const [restart] = of(opDo('restart'));
    const [cutLeader] = of((e) => opDo('partition')(e) && (e.op as { kind: string }).kind === 'leader');
    expect(restart?.when, all).toMatchObject({ on: 'vote', met: true });
    expect(restart?.when?.seen).toMatch(new RegExp(`^${restart?.node} voted for `));
    expect(restart?.node).not.toBe(cutLeader?.node);

    // The isolated follower removed, and a voter again after the heal.
    const [isolated] = of((e) => opDo('partition')(e) && (e.op as { kind: string }).kind === 'isolate');
    const [leave] = of(opDo('leave'));
    const [join_] = of(opDo('join'));
    expect(leave?.node, all).toBe(isolated?.node);
    expect(join_).toMatchObject({ node: isolated?.node, voter: true });

    // Leadership handed to another node while writes were open, twice.
    const transfers = of(opDo('transfer'));
    expect(transfers, all).toHaveLength(2);
    for (const t of transfers) {
      expect(t.when?.met, all).toBe(true);
      expect(t.to).not.toBe(t.from);
    }
  }, 420_000);
});
