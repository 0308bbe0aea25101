/**
 * bench/raft: three real nodes on loopback, Raft over gRPC and then over Iroh,
 * in one run: commit latency at concurrency 1 and 16, commits/s at 64, Raft
 * message latency, election stability over a fault-free window, and failover
 * time after SIGKILL of the leader — with the migration's decision rule
 * (Raft moves to Iroh only if p99 message latency < 10 ms and stability
 * > 99.9 %) applied to each transport.
 *
 *   node bench/raft/main.ts [--quick]
 */

import Table from 'cli-table3';
import { MIGRATION_THRESHOLDS as RULE, raftRuleHolds } from '../../dashboards/index.ts';
import { ReadConsistency, RegisterOp } from '../../node/gen/blixard_pb.js';
import { orAbsent } from '../../node/lib/index.ts';
import { LocalCluster } from '../../node/testing/index.ts';
import { printBenchJson, quantile, ratioGoal, readBuckets, runLoad, subtract, total } from '../lib/index.ts';
import { startEtcdPeer } from './etcd-peer.ts';

const quick = process.argv.includes('--quick');
const STABILITY_WINDOW_MS = quick ? 15_000 : 60_000;
const FAILOVERS = quick ? 2 : 3;
const TICK_MS = 50;
const ELECTION_TICKS = 10;
/** The longest randomized election timeout: [election_ticks, 2 × election_ticks) ticks. */
const MAX_ELECTION_TIMEOUT_MS = 2 * ELECTION_TICKS * TICK_MS;

interface Result {
  c1: { p50: number; p99: number };
  c16: { p50: number; p99: number };
  c64: number;
  msgP50: number;
  msgP99: number;
  msgCount: number;
  stability: number;
  spuriousElections: number;
  failovers: number[];
}

async function measure(raftTransport: 'grpc' | 'iroh'): Promise<Result> {
  const cluster = await LocalCluster.start({
    nodes: 3,
    mode: 'dual',
    raftTransport,
    preferIroh: raftTransport === 'iroh' ? ['raft'] : [],
    extraToml: `[raft]\ntick_ms = ${TICK_MS}\nelection_ticks = ${ELECTION_TICKS}\nheartbeat_ticks = 2\n`,
  });
  try {
    const ids = ['n1', 'n2', 'n3'];
    const leader = await cluster.agreedLeader(ids);
    const { blixard } = await cluster.clients(leader, 'grpc');
    let seq = 0;
    const write = () =>
      blixard.proposeTask(
        { key: `k${seq % 64}`, op: RegisterOp.WRITE, value: String(seq++) },
        { timeoutMs: 10_000 },
      );
    for (let i = 0; i < 200; i++) await write(); // warm-up

    const c1 = await runLoad(write, { concurrency: 1, count: quick ? 300 : 1000, maxMs: 20_000 });
    const c16 = await runLoad(write, { concurrency: 16, count: quick ? 2000 : 6000, maxMs: 20_000 });
    const c64 = await runLoad(write, { concurrency: 64, count: quick ? 5000 : 20_000, maxMs: 15_000 });

    // A fault-free window: Raft message latency and election stability, no client load.
    const metricsBefore = await scrape(cluster, ids);
    const stability = await watchStability(cluster, ids, STABILITY_WINDOW_MS);
    const metricsAfter = await scrape(cluster, ids);
    const messages = subtract(
      readBuckets(metricsAfter, 'blixard_raft_message_duration_seconds', { transport: raftTransport }),
      readBuckets(metricsBefore, 'blixard_raft_message_duration_seconds', { transport: raftTransport }),
    );

    const failovers: number[] = [];
    for (let i = 0; i < FAILOVERS; i++) failovers.push(await failover(cluster, ids));

    return {
      c1: { p50: c1.p50Ms, p99: c1.p99Ms },
      c16: { p50: c16.p50Ms, p99: c16.p99Ms },
      c64: c64.perSecond,
      msgP50: quantile(0.5, messages) * 1000,
      msgP99: quantile(0.99, messages) * 1000,
      msgCount: total(messages),
      stability: stability.share,
      spuriousElections: stability.termChanges,
      failovers,
    };
  } finally {
    await cluster.stop();
  }
}

async function statusOf(cluster: LocalCluster, id: string) {
  const { cluster: c } = await cluster.clients(id, 'grpc');
  // Each node's own view (leader, term, applied index), without waiting on a leader.
  return c.getClusterStatus({ consistency: ReadConsistency.LOCAL }, { timeoutMs: 1000 });
}

async function scrape(cluster: LocalCluster, ids: string[]): Promise<string> {
  const texts = await Promise.all(
    ids.map((id) => fetch(`http://127.0.0.1:${cluster.spec(id).metricsPort}/metrics`).then((r) => r.text())),
  );
  return texts.join('\n');
}

/** Samples every node every 100 ms: a sample is stable when all agree on one leader in the starting term. */
async function watchStability(cluster: LocalCluster, ids: string[], windowMs: number) {
  const first = await statusOf(cluster, ids[0] as string);
  let lastTerm = first.term;
  let termChanges = 0;
  let stable = 0;
  let samples = 0;
  const until = Date.now() + windowMs;
  while (Date.now() < until) {
    const all = await Promise.all(ids.map((id) => orAbsent(statusOf(cluster, id))));
    samples += 1;
    const leader = all[0]?.leaderId ?? '';
    const term = all[0]?.term ?? 0n;
    if (term !== lastTerm) {
      termChanges += 1;
      lastTerm = term;
    }
    if (leader !== '' && all.every((s) => s?.leaderId === leader && s.term === term) && term === first.term)
      stable += 1;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { share: stable / samples, termChanges };
}

/** SIGKILL the leader; ms until the survivors agree on a new one. Then restart it and let it catch up. */
async function failover(cluster: LocalCluster, ids: string[]): Promise<number> {
  const old = await cluster.agreedLeader(ids);
  const rest = ids.filter((id) => id !== old);
  const killed = performance.now();
  await cluster.kill(old, 'SIGKILL');
  await cluster.agreedLeader(rest, { notThis: old });
  const ms = performance.now() - killed;
  cluster.restart(old);
  await cluster.agreedLeader(ids);
  return ms;
}

/** The same loads against a 3-member etcd on loopback (the peer the goals compare with). */
async function measureEtcd(): Promise<
  { c1: { p50: number; p99: number }; c16: { p50: number; p99: number }; c64: number } | string
> {
  let etcd: Awaited<ReturnType<typeof startEtcdPeer>>;
  try {
    etcd = await startEtcdPeer();
  } catch (err) {
    return `etcd peer not measured: ${(err as Error).message} (Debian's etcd-server: apt-get install etcd-server)`;
  }
  try {
    let seq = 0;
    const write = () => etcd.put(`k${seq % 64}`, String(seq++));
    for (let i = 0; i < 200; i++) await write();
    const c1 = await runLoad(write, { concurrency: 1, count: quick ? 300 : 1000, maxMs: 20_000 });
    const c16 = await runLoad(write, { concurrency: 16, count: quick ? 2000 : 6000, maxMs: 20_000 });
    const c64 = await runLoad(write, { concurrency: 64, count: quick ? 5000 : 20_000, maxMs: 15_000 });
    return {
      c1: { p50: c1.p50Ms, p99: c1.p99Ms },
      c16: { p50: c16.p50Ms, p99: c16.p99Ms },
      c64: c64.perSecond,
    };
  } finally {
    await etcd.stop();
  }
}

const results: Record<'grpc' | 'iroh', Result> = {
  grpc: await measure('grpc'),
  iroh: await measure('iroh'),
};
const etcd = await measureEtcd();

const f = (n: number) =>
  Number.isNaN(n) ? 'n/a' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const table = new Table({ head: ['figure', 'Raft over gRPC', 'Raft over Iroh', 'Iroh/gRPC', 'goal'] });
const ratio = (g: number, i: number) => (g === 0 ? '—' : `${(i / g).toFixed(2)}×`);
const line = (name: string, g: number, i: number, unit: string, goal: string) =>
  table.push([name, `${f(g)} ${unit}`.trim(), `${f(i)} ${unit}`.trim(), ratio(g, i), goal]);
const { grpc: g, iroh: i } = results;
line('commit p50, concurrency 1', g.c1.p50, i.c1.p50, 'ms', '');
line('commit p99, concurrency 1', g.c1.p99, i.c1.p99, 'ms', '');
line('commit p50, concurrency 16', g.c16.p50, i.c16.p50, 'ms', '');
line('commit p99, concurrency 16', g.c16.p99, i.c16.p99, 'ms', '< 10 ms');
line('commits/s, concurrency 64', g.c64, i.c64, '/s', '≥ 2000/s');
line('Raft message RTT p50 (idle)', g.msgP50, i.msgP50, 'ms', '');
line('Raft message RTT p99 (idle)', g.msgP99, i.msgP99, 'ms', '< 10 ms');
line('election stability', g.stability * 100, i.stability * 100, '%', '> 99.9 %');
line('spurious elections in window', g.spuriousElections, i.spuriousElections, '', '0');
line(
  'failover after SIGKILL (median)',
  med(g.failovers),
  med(i.failovers),
  'ms',
  `≤ ${2 * MAX_ELECTION_TIMEOUT_MS} ms`,
);
console.log(
  `\nbench/raft — 3 nodes on loopback; tick ${TICK_MS} ms, election timeout ${ELECTION_TICKS * TICK_MS}–${MAX_ELECTION_TIMEOUT_MS} ms; stability window ${STABILITY_WINDOW_MS / 1000} s\n`,
);
console.log(table.toString());
if (typeof etcd === 'string') console.log(etcd);
else {
  const peer = new Table({ head: ['figure', 'etcd 3.4 (3 members)', 'Raft over Iroh', 'Iroh/etcd', 'goal'] });
  const r = (a: number, b: number) => (a === 0 ? '—' : `${(b / a).toFixed(2)}×`);
  peer.push([
    'commit p50, concurrency 1',
    `${f(etcd.c1.p50)} ms`,
    `${f(i.c1.p50)} ms`,
    r(etcd.c1.p50, i.c1.p50),
    '',
  ]);
  peer.push([
    'commit p99, concurrency 16',
    `${f(etcd.c16.p99)} ms`,
    `${f(i.c16.p99)} ms`,
    r(etcd.c16.p99, i.c16.p99),
    "≤ 1× etcd's",
  ]);
  peer.push([
    'commits/s, concurrency 64',
    `${f(etcd.c64)} /s`,
    `${f(i.c64)} /s`,
    r(etcd.c64, i.c64),
    "≥ 0.5× etcd's",
  ]);
  console.log(
    `\nthe peer, measured in this run (etcd3 client, same concurrencies and values):\n${peer.toString()}`,
  );
}
console.log(`failovers (ms): gRPC ${g.failovers.map(f).join(', ')}; Iroh ${i.failovers.map(f).join(', ')}`);
console.log(`Raft messages measured in the window: gRPC ${g.msgCount}, Iroh ${i.msgCount}`);
console.log(
  '\ndecision rule (Raft may move to a transport if p99 message latency < 10 ms and stability > 99.9 %):',
);
for (const [name, r] of Object.entries(results)) {
  const ok = raftRuleHolds(r.msgP99, r.stability);
  console.log(
    `  ${name.padEnd(5)} ${ok ? 'PASS' : 'FAIL'}  (p99 ${f(r.msgP99)} ms, stability ${f(r.stability * 100)} %)`,
  );
}

const figures: Record<string, number> = {};
for (const [name, r] of Object.entries(results)) {
  Object.assign(figures, {
    [`${name}.commitP50MsC1`]: r.c1.p50,
    [`${name}.commitP99MsC1`]: r.c1.p99,
    [`${name}.commitP50MsC16`]: r.c16.p50,
    [`${name}.commitP99MsC16`]: r.c16.p99,
    [`${name}.commitsPerSecC64`]: r.c64,
    [`${name}.messageP50Ms`]: r.msgP50,
    [`${name}.messageP99Ms`]: r.msgP99,
    [`${name}.stabilityPercent`]: r.stability * 100,
    [`${name}.spuriousElections`]: r.spuriousElections,
    [`${name}.failoverMedianMs`]: med(r.failovers),
  });
}
if (typeof etcd !== 'string')
  Object.assign(figures, {
    'etcd.commitP50MsC1': etcd.c1.p50,
    'etcd.commitP99MsC16': etcd.c16.p99,
    'etcd.commitsPerSecC64': etcd.c64,
  });
const etcdGoals =
  typeof etcd === 'string'
    ? []
    : [
        ratioGoal("Raft over Iroh: commit p99 at concurrency 16 / etcd's", i.c16.p99 / etcd.c16.p99, '≤', 1),
        ratioGoal("Raft over Iroh: commits/s at concurrency 64 / etcd's", i.c64 / etcd.c64, '≥', 0.5),
      ];
printBenchJson('raft', figures, [
  ...etcdGoals,
  ratioGoal('Raft over Iroh: commit p99 at concurrency 16 (ms)', i.c16.p99, '<', 10),
  ratioGoal('Raft over Iroh: commits/s at concurrency 64', i.c64, '≥', 2000),
  ratioGoal('Raft over Iroh: Raft message p99 when idle (ms)', i.msgP99, '<', RULE.raftMessageP99Ms),
  ratioGoal('Raft over Iroh: election stability (%)', i.stability * 100, '>', RULE.electionStability * 100),
]);
