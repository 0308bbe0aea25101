/**
 * The nemesis through a real lab cluster (process runtime, dual mode): partitions stop both
 * transports on exactly the cut links, heal restores them, a latency toxic shows in the round trip
 * of both transports, loss raises Iroh's lost-packet counter. Probes dial what the sources dial
 * (the client's link, or the peer address in a node's config) on new connections.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../lab/runtime/index.ts';
import { orAbsent } from '../../node/lib/index.ts';
import { fastest, openHostProbe, type ProbeTarget, probeOnce, probeTargets } from '../probes/index.ts';
import { Nemesis, nodeAnswers } from './nemesis.ts';
import { op } from './schedule.ts';
import { SelfCheckError, selfCheck } from './self-check.ts';

let cluster: Cluster;
let dir: string;
let nemesis: Nemesis;
const events: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nemesis-cluster-'));
  cluster = await Cluster.start({ nodes: 3, runtime: 'process', mode: 'dual', workDir: dir, seed: 5 });
  nemesis = new Nemesis(cluster, { seed: 5, record: (r) => events.push(`${r.kind} ${r.op.do}`) });
});
afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Every link side answers (true) or not (false) on a new connection, within the Iroh channel's
 * connect bound (5 s): a fresh endpoint's handshake on a busy machine may take seconds, and a cut
 * link must stay silent however long it is given.
 */
async function answering(targets: ProbeTarget[], timeoutMs = 5000): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  await Promise.all(
    targets.map(async (t) =>
      out.set(`${t.link}/${t.side}`, (await probeOnce(cluster, t, timeoutMs)) !== undefined),
    ),
  );
  return out;
}

async function untilAllAnswer(targets: ProbeTarget[]): Promise<Map<string, boolean>> {
  let last = new Map<string, boolean>();
  for (let i = 0; i < 10; i++) {
    last = await answering(targets);
    if ([...last.values()].every(Boolean)) break;
  }
  return last;
}

/** The self-check on one link fails, naming the link and transport. */
async function expectRefused(link: string, transport: 'tcp' | 'udp'): Promise<void> {
  const error = await selfCheck(cluster, { links: [link] }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SelfCheckError);
  expect((error as SelfCheckError).failures.map((f) => `${f.link}/${f.side}`)).toContain(
    `${link}/${transport}`,
  );
  expect((error as SelfCheckError).message).toMatch(new RegExp(`link ${link} \\(${transport}\\)`));
}

describe('nemesis on a process cluster', () => {
  it('isolating n2 stops both transports on its links only, and heal brings them back', async () => {
    const targets = await probeTargets(cluster);
    expect(targets).toHaveLength(9 * 2);
    const rec = await nemesis.apply(op({ do: 'partition', kind: 'isolate', node: 'n2' }));
    const cut = rec.detail.cut as string[];
    expect(cut).toEqual(['n1-n2', 'n2-n1', 'n2-n3', 'n3-n2']);
    const during = await answering(targets);
    for (const t of targets) {
      expect(during.get(`${t.link}/${t.side}`), `${t.link}/${t.side}`).toBe(!cut.includes(t.link));
    }
    // The lab's own client still reaches n2 (client links are not part of this partition).
    expect((await cluster.node('n2').grpc?.cluster.healthCheck({}, { timeoutMs: 3000 }))?.healthy).toBe(true);

    await nemesis.apply(op({ do: 'heal' }));
    const after = await untilAllAnswer(targets);
    expect([...after.entries()].filter(([, ok]) => !ok)).toEqual([]);
  });

  it('a partition on one transport leaves the other working on the same links', async () => {
    const targets = (await probeTargets(cluster)).filter((t) => t.link === 'n1-n3' || t.link === 'n3-n1');
    const rec = await nemesis.apply(op({ do: 'partition', kind: 'isolate', node: 'n3', transport: 'tcp' }));
    expect(rec.detail.transports).toEqual(['tcp']);
    const during = await answering(targets);
    expect(during.get('n1-n3/tcp')).toBe(false);
    expect(during.get('n3-n1/tcp')).toBe(false);
    expect(during.get('n1-n3/udp')).toBe(true);
    expect(during.get('n3-n1/udp')).toBe(true);
    await nemesis.apply(op({ do: 'heal' }));
    expect([...(await untilAllAnswer(targets)).values()].every(Boolean)).toBe(true);
  });

  it('a 100 ms latency toxic shows in the round trip of both transports — or the self-check refuses the link', async () => {
    const targets = (await probeTargets(cluster, ['client-n1'])).sort((a, b) => a.side.localeCompare(b.side));
    expect(targets.map((t) => t.side)).toEqual(['tcp', 'udp']);
    const probes = targets.map((t) => openHostProbe(cluster, t));
    try {
      const before = await Promise.all(probes.map((p) => fastest(p, 5)));
      await nemesis.apply(op({ do: 'latency', ms: 100, links: ['client-n1'] }));
      const during = await Promise.all(probes.map((p) => fastest(p, 3)));
      const irohPaths = await probes[1]?.paths();
      await nemesis.apply(op({ do: 'heal' }));
      // gRPC over TCP cannot leave the link.
      expect(during[0], `tcp: ${before[0]} ms → ${during[0]} ms`).toBeGreaterThanOrEqual(
        (before[0] as number) + 80,
      );
      const udp = targets[1] as ProbeTarget;
      if (irohPaths?.every((p) => p === udp.listen)) {
        expect(during[1], `udp: ${before[1]} ms → ${during[1]} ms`).toBeGreaterThanOrEqual(
          (before[1] as number) + 80,
        );
      } else {
        // Iroh found a direct path around the hub (it does on loopback): the fault cannot take on this
        // link, and the self-check must refuse to run chaos on it, naming it.
        await expectRefused('client-n1', 'udp');
      }
      const healed = await Promise.all(probes.map((p) => fastest(p, 3)));
      for (const [i] of targets.entries()) expect(healed[i]).toBeLessThan(80);
    } finally {
      await Promise.all(probes.map((p) => p.close()));
    }
  });

  it("loss on a link raises Iroh's lost-packet counter — or the self-check refuses the link", async () => {
    const [target] = await probeTargets(cluster, ['client-n3']).then((ts) =>
      ts.filter((t) => t.side === 'udp'),
    );
    if (!target) throw new Error('no udp side on client-n3');
    const probe = openHostProbe(cluster, target);
    try {
      await fastest(probe, 3);
      const lostBefore = (await probe.lostPackets()) ?? 0;
      const stats = async () =>
        (await (await fetch(`${cluster.state.hub.udpAdmin}/proxies/client-n3/stats`)).json()) as {
          upstream: { packetsDropped: number };
          downstream: { packetsDropped: number };
        };
      const s0 = await stats();
      await nemesis.apply(op({ do: 'loss', probability: 0.3, links: ['client-n3'] }));
      let after: { paths: string[] | undefined; lostPackets: number | undefined };
      let s1: Awaited<ReturnType<typeof stats>>;
      try {
        for (let i = 0; i < 40; i++) await orAbsent(probe.rtt(5000)); // some are lost: that is the point
        s1 = await stats();
        after = { paths: await probe.paths(), lostPackets: await probe.lostPackets() };
      } finally {
        await nemesis.apply(op({ do: 'heal' }));
      }
      if (after.paths?.every((p) => p === target.listen)) {
        expect(after.lostPackets).toBeGreaterThan(lostBefore);
        expect(s1.upstream.packetsDropped + s1.downstream.packetsDropped).toBeGreaterThan(
          s0.upstream.packetsDropped + s0.downstream.packetsDropped,
        );
      } else {
        await expectRefused('client-n3', 'udp');
      }
    } finally {
      await probe.close();
    }
  });

  it('kills, starts, pauses and resumes nodes, and records every fault, heal and restart', async () => {
    await nemesis.apply(op({ do: 'kill', node: 'n3' }));
    expect(await cluster.node('n3').isRunning()).toBe(false);
    const started = await nemesis.apply(op({ do: 'start', node: 'n3' }));
    expect(started.detail.healthy).toBe(true);
    await nemesis.apply(op({ do: 'pause', node: 'n1' }));
    expect((await cluster.node('n1').status(1000)).health).toBe('down');
    await nemesis.apply(op({ do: 'resume', node: 'n1' }));
    expect(await nodeAnswers(cluster, 'n1', 10_000)).toBe(true);
    expect(events.slice(-4)).toEqual(['fault kill', 'restart start', 'fault pause', 'heal resume']);
    expect(events.filter((e) => e === 'heal heal').length).toBeGreaterThanOrEqual(4);
  });

  it('rolls a transport-mode change node by node: new config, restart, healthy on the new transports', async () => {
    const before = events.length;
    const rec = await nemesis.apply(op({ do: 'mode-change', mode: 'grpc', nodes: ['n3', 'n2', 'n1'] }));
    expect(rec.kind).toBe('mode-change');
    expect(events.slice(before)).toEqual([
      'restart mode-change',
      'restart mode-change',
      'restart mode-change',
      'mode-change mode-change',
    ]);
    expect((rec.detail.steps as { node: string }[]).map((s) => s.node)).toEqual(['n3', 'n2', 'n1']);
    for (const node of cluster.nodes) {
      expect(node.state.mode).toBe('grpc');
      expect(await readFile(node.state.configPath, 'utf8')).toMatch(/^mode = "grpc"$/m);
      expect((await probeTargets(cluster, [`client-${node.id}`])).map((t) => t.side)).toEqual(['tcp']);
      expect(await nodeAnswers(cluster, node.id, 10_000)).toBe(true);
    }
    await nemesis.apply(op({ do: 'mode-change', mode: 'dual' }));
    for (const node of cluster.nodes) {
      expect((await probeTargets(cluster, [`client-${node.id}`])).map((t) => t.side)).toEqual(['tcp', 'udp']);
      expect(await nodeAnswers(cluster, node.id, 10_000)).toBe(true);
    }
  });

  it('the self-check refuses the UDP side of every link here: nodes are reachable around the hub on loopback', async () => {
    const error = await selfCheck(cluster, { links: ['n1-n2', 'client-n3'] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SelfCheckError);
    const failures = (error as SelfCheckError).failures;
    // TCP cannot leave its link and passes; Iroh could, and is refused with where it would go.
    expect(failures.map((f) => `${f.link}/${f.side}`)).toEqual(['client-n3/udp', 'n1-n2/udp']);
    // Seen either way: a path already off the link, or a handshake straight to the node's own address.
    for (const f of failures)
      expect(f.reason).toMatch(
        /(Iroh endpoint directly at 127\.0\.0\.1:\d+, around the hub|direct path to 127\.0\.0\.1:\d+ that bypasses the hub)/,
      );
  });
});
