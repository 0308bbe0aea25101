/**
 * The nemesis on the docker runtime, where every node sits alone on its own network and only the hub
 * joins them: the self-check passes on every link side of both transports; a partition stops both
 * transports on exactly the cut links (node-to-node links probed from inside the source container);
 * a 100 ms latency toxic shows in the round trip of both transports; loss raises Iroh's lost-packet
 * counter. Skipped where no Docker engine answers.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, dockerReachable } from '../../lab/runtime/index.ts';
import { orAbsent } from '../../node/lib/index.ts';
import {
  directIrohAddresses,
  fastest,
  openHostProbe,
  openSourceProbe,
  type ProbeTarget,
  probeOnce,
  probeTargets,
} from '../probes/index.ts';
import { Nemesis } from './nemesis.ts';
import { op } from './schedule.ts';
import { selfCheck } from './self-check.ts';

const docker = await dockerReachable();

describe.skipIf(!docker)('nemesis on a docker cluster', () => {
  let cluster: Cluster;
  let nemesis: Nemesis;

  beforeAll(async () => {
    cluster = await Cluster.start({ nodes: 3, runtime: 'docker', mode: 'dual', seed: 8 });
    nemesis = new Nemesis(cluster, { seed: 8 });
  }, 600_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  const answering = async (targets: ProbeTarget[], timeoutMs = 2000) => {
    const out = new Map<string, boolean>();
    await Promise.all(
      targets.map(async (t) =>
        out.set(`${t.link}/${t.side}`, (await probeOnce(cluster, t, timeoutMs)) !== undefined),
      ),
    );
    return out;
  };

  it('the self-check passes on every link side of both transports', async () => {
    // Nodes sit on separate networks: not even the host reaches a node's Iroh endpoint around the hub.
    const direct = await directIrohAddresses(cluster, 'n1');
    expect(direct.length).toBeGreaterThan(0);
    const [udp] = (await probeTargets(cluster, ['client-n1'])).filter((t) => t.side === 'udp');
    for (const address of direct)
      expect(await probeOnce(cluster, { ...(udp as ProbeTarget), address }, 1500)).toBeUndefined();
    const report = await selfCheck(cluster);
    expect(report.results).toHaveLength(18);
    for (const r of report.results)
      expect(r.delayedMs).toBeGreaterThanOrEqual(Math.max(90, r.baselineMs + 50));
  }, 180_000);

  it('isolating n2 stops both transports on its links only; heal brings them back', async () => {
    const targets = await probeTargets(cluster);
    const rec = await nemesis.apply(op({ do: 'partition', kind: 'isolate', node: 'n2' }));
    const cut = rec.detail.cut as string[];
    const during = await answering(targets);
    for (const t of targets)
      expect(during.get(`${t.link}/${t.side}`), `${t.link}/${t.side}`).toBe(!cut.includes(t.link));
    await nemesis.apply(op({ do: 'heal' }));
    let after = new Map<string, boolean>();
    for (let i = 0; i < 10 && ![...after.values()].every(Boolean); i++)
      after = await answering(targets, 3000);
    expect([...after.entries()].filter(([, ok]) => !ok)).toEqual([]);
  }, 180_000);

  it('a 100 ms latency toxic on a node-to-node link shows in the round trip of both transports', async () => {
    const targets = await probeTargets(cluster, ['n1-n2']);
    expect(targets.map((t) => t.side).sort()).toEqual(['tcp', 'udp']);
    const probes = await Promise.all(targets.map((t) => openSourceProbe(cluster, t)));
    try {
      const before = await Promise.all(probes.map((p) => fastest(p, 5)));
      await nemesis.apply(op({ do: 'latency', ms: 100, links: ['n1-n2'] }));
      const during = await Promise.all(probes.map((p) => fastest(p, 3)));
      await nemesis.apply(op({ do: 'heal' }));
      for (const [i, t] of targets.entries())
        expect(during[i], `${t.side}: ${before[i]} → ${during[i]}`).toBeGreaterThanOrEqual(
          (before[i] as number) + 80,
        );
    } finally {
      await Promise.all(probes.map((p) => p.close()));
    }
  }, 120_000);

  it("loss raises Iroh's lost-packet counter on a connection through the link", async () => {
    const [target] = (await probeTargets(cluster, ['client-n1'])).filter((t) => t.side === 'udp');
    if (!target) throw new Error('no udp side');
    const probe = openHostProbe(cluster, target);
    try {
      await fastest(probe, 3);
      const lostBefore = (await probe.lostPackets()) ?? 0;
      await nemesis.apply(op({ do: 'loss', probability: 0.3, links: ['client-n1'] }));
      try {
        for (let i = 0; i < 40; i++) await orAbsent(probe.rtt(5000)); // some are lost: that is the point
      } finally {
        await nemesis.apply(op({ do: 'heal' }));
      }
      expect(await probe.paths()).toEqual([target.address]);
      expect(await probe.lostPackets()).toBeGreaterThan(lostBefore);
    } finally {
      await probe.close();
    }
  }, 120_000);
});
