/**
 * What the chaos hub costs when it injects nothing: UDP echo and Iroh echo direct vs through a
 * pass-through link of the UDP toxic proxy, and TCP echo direct vs through Toxiproxy, in one run.
 * Prints added p50/p99 round-trip latency and the throughput ratio (proxied / direct).
 * Loopback only; every measurement is bounded by count and time.
 *
 *   node bench/chaos/main.ts [--quick]
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startToxiproxyServer } from '../../hub/tcp/index.ts';
import { parseNodeId } from '../../node/transport/index.ts';
import { type BenchGoal, printBenchJson, ratioGoal } from '../lib/index.ts';
import { startChild, stopChild } from './child-process.ts';
import { type Bounds, measureIroh, measureTcp, measureUdp, type PathResult, percentile } from './measure.ts';

const quick = process.argv.includes('--quick');
const bounds: Bounds = quick
  ? { latencyCount: 500, latencyMaxMs: 3000, throughputMaxMs: 1000 }
  : { latencyCount: 2000, latencyMaxMs: 4000, throughputMaxMs: 1500 };
const rounds = quick ? 1 : 3;
const here = import.meta.dirname;

/** Round trips of all rounds together; throughput as the median round's. */
function combine(results: PathResult[]): PathResult {
  const rates = results.map((r) => r.bytesPerSecond).sort((a, b) => a - b);
  return {
    rtts: results.flatMap((r) => r.rtts).sort((a, b) => a - b),
    bytesPerSecond: rates[Math.floor(rates.length / 2)] ?? Number.NaN,
  };
}

interface Peer {
  udpPort: number;
  tcpPort: number;
  irohId: string;
  irohAddress: string;
}

const children: ChildProcess[] = [];
const stopAll = async (closers: (() => Promise<void>)[]) => {
  await Promise.allSettled([...children.map(stopChild), ...closers.map((c) => c())]);
};

async function main(): Promise<void> {
  const echo = await startChild([join(here, 'echo-peer.ts')]);
  children.push(echo.child);
  const peer = JSON.parse(echo.firstLine) as Peer;

  // The UDP proxy in its own process, as on the hub.
  const udp = await startChild([
    join(here, '..', '..', 'hub', 'udp', 'main.ts'),
    '--listen',
    '127.0.0.1:0',
    '--seed',
    '1',
  ]);
  children.push(udp.child);
  const udpAdmin = /on (http:\/\/\S+)/.exec(udp.firstLine)?.[1];
  if (!udpAdmin) throw new Error(`unexpected UDP proxy banner: ${udp.firstLine}`);
  const toxiproxy = await startToxiproxyServer({ seed: 1 });

  try {
    // Same client code for both servers: pass-through links, no toxics.
    const link = async (admin: string, name: string, upstream: string) => {
      const proxy = await new Toxiproxy(admin).createProxy({ name, listen: '127.0.0.1:0', upstream });
      return proxy.listen;
    };
    const udpLink = await link(udpAdmin, 'bench-udp', `127.0.0.1:${peer.udpPort}`);
    const irohLink = await link(udpAdmin, 'bench-iroh', peer.irohAddress);
    const tcpLink = await link(toxiproxy.url, 'bench-tcp', `127.0.0.1:${peer.tcpPort}`);
    const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));
    const irohId = parseNodeId(peer.irohId);

    const rows: [string, string, PathResult, PathResult][] = [];
    // Direct and proxied alternate over a few rounds, so load from elsewhere on the host hits both alike.
    const pair = async (label: string, via: string, run: (direct: boolean) => Promise<PathResult>) => {
      process.stderr.write(`bench/chaos: ${label} ...\n`);
      const direct: PathResult[] = [];
      const proxied: PathResult[] = [];
      for (let round = 0; round < rounds; round++) {
        direct.push(await run(true));
        proxied.push(await run(false));
      }
      rows.push([label, via, combine(direct), combine(proxied)]);
    };
    await pair('UDP echo 64 B; 1200 B x32 in flight', 'UDP proxy', (d) =>
      measureUdp(d ? peer.udpPort : portOf(udpLink), bounds, 32),
    );
    await pair('UDP echo 1200 B x128 (saturating)', 'UDP proxy', (d) =>
      measureUdp(d ? peer.udpPort : portOf(udpLink), { ...bounds, latencyCount: 0 }, 128),
    );
    await pair('Iroh echo 64 B; 256 KiB', 'UDP proxy', (d) =>
      measureIroh(irohId, d ? peer.irohAddress : irohLink, bounds),
    );
    await pair('TCP echo 64 B; bulk', 'Toxiproxy', (d) =>
      measureTcp(d ? peer.tcpPort : portOf(tcpLink), bounds),
    );

    const ms = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(3)} ms`);
    const mbps = (v: number) => `${((v * 8) / 1e6).toFixed(0)} Mbit/s`;
    const table = new Table({
      style: { head: [], border: [] },
      head: [
        'path',
        'via',
        'n',
        'p50 direct',
        'p50 proxied',
        'added p50',
        'added p99',
        'thr. direct',
        'thr. proxied',
        'ratio',
      ],
    });
    for (const [label, via, direct, proxied] of rows) {
      table.push([
        label,
        via,
        `${direct.rtts.length}/${proxied.rtts.length}`,
        ms(percentile(direct.rtts, 50)),
        ms(percentile(proxied.rtts, 50)),
        ms(percentile(proxied.rtts, 50) - percentile(direct.rtts, 50)),
        ms(percentile(proxied.rtts, 99) - percentile(direct.rtts, 99)),
        mbps(direct.bytesPerSecond),
        mbps(proxied.bytesPerSecond),
        `${(proxied.bytesPerSecond / direct.bytesPerSecond).toFixed(2)}×`,
      ]);
    }
    console.log(table.toString());
    console.log('goal: added p50 ≤ 0.2 ms on a pass-through link, throughput ratio ≥ 0.8×');
    const figures: Record<string, number> = {};
    const goals: BenchGoal[] = [];
    for (const [label, , direct, proxied] of rows) {
      const addedP50 = percentile(proxied.rtts, 50) - percentile(direct.rtts, 50);
      const ratio = proxied.bytesPerSecond / direct.bytesPerSecond;
      Object.assign(figures, {
        [`${label}.p50DirectMs`]: percentile(direct.rtts, 50),
        [`${label}.p50ProxiedMs`]: percentile(proxied.rtts, 50),
        [`${label}.addedP99Ms`]: percentile(proxied.rtts, 99) - percentile(direct.rtts, 99),
        [`${label}.bytesPerSecDirect`]: direct.bytesPerSecond,
        [`${label}.bytesPerSecProxied`]: proxied.bytesPerSecond,
      });
      if (!Number.isNaN(addedP50)) goals.push(ratioGoal(`${label}: added p50 (ms)`, addedP50, '≤', 0.2));
      goals.push(ratioGoal(`${label}: throughput proxied / direct`, ratio, '≥', 0.8, '×'));
    }
    printBenchJson('chaos', figures, goals);
  } finally {
    await stopAll([() => toxiproxy.close()]);
  }
}

main().catch(async (error: unknown) => {
  console.error(`bench/chaos: ${(error as Error).stack ?? error}`);
  await stopAll([]);
  process.exit(1);
});
