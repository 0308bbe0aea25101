/**
 * bench/transport: gRPC against Iroh in one run on this machine — unary
 * calls/s and p50/p99 sequential and at concurrency 64, 1 MiB uploads and
 * downloads — with the Iroh/gRPC ratio of each figure; then the ways through
 * the Iroh binding that were tried for speed. Beside them, the ceiling: the
 * same iroh driven from Rust alone (native/iroh's iroh-echo-bench, built by
 * `make setup`), and binding/Rust for each figure.
 *
 *   node bench/transport/main.ts [--quick]
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import Table from 'cli-table3';
import { HealthCheckRequestSchema, ShareVmImageRequestSchema } from '../../node/gen/blixard_pb.js';
import {
  bindIrohEndpoint,
  ClusterService,
  createClient,
  dial,
  GrpcChannel,
  IrohChannel,
  type RpcChannel,
  toEndpointAddr,
} from '../../node/transport/index.ts';
import { median, printBenchJson, ratioGoal, runLoad, startChild, stopChild } from '../lib/index.ts';
import { MUX_ALPN } from './mux-alpn.ts';
import { MuxClient } from './mux-client.ts';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const MiB = 1 << 20;
const SMALL = {
  seq: { concurrency: 1, count: quick ? 500 : 3000, maxMs: 8000 },
  c64: { concurrency: 64, count: quick ? 3000 : 20000, maxMs: 10000 },
};
const BULK = { concurrency: 1, count: quick ? 5 : 20, maxMs: 30000 };

interface ServerInfo {
  grpc: string;
  irohId: string;
  iroh: string;
}

const { info, child } = await startChild<ServerInfo>('bench/transport/server.ts', [String(MiB)]);
const endpoint = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0', alpns: [] });
const peer = { nodeId: info.irohId, addrs: [info.iroh] };
const channels: Record<'grpc' | 'iroh', RpcChannel> = {
  grpc: new GrpcChannel(info.grpc),
  iroh: new IrohChannel(endpoint, peer),
};

const healthBytes = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, {}));
const uploadBytes = toBinary(
  ShareVmImageRequestSchema,
  create(ShareVmImageRequestSchema, { data: new Uint8Array(MiB).fill(3) }),
);

/** The pure-Rust echo's figures (see native/iroh/src/bin/echo_bench.rs). */
interface RustFigures {
  seqCallsPerSec: number;
  seqP50Ms: number;
  seqP99Ms: number;
  c64CallsPerSec: number;
  c64P50Ms: number;
  c64P99Ms: number;
  echo1MiBPerSec: number;
}
const RUST_ECHO = fileURLToPath(new URL('../../native/iroh/dist/iroh-echo-bench', import.meta.url));

async function rustCeiling(): Promise<RustFigures> {
  const { stdout } = await promisify(execFile)(RUST_ECHO, quick ? ['--quick'] : [], { timeout: 180_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as RustFigures;
}

type Row = {
  figure: string;
  key: string;
  unit: string;
  grpc: number[];
  iroh: number[];
  rust: number[];
  rustKey: keyof RustFigures;
  higherIsBetter: boolean;
};
const rows: Row[] = [];
const row = (
  figure: string,
  key: string,
  unit: string,
  higherIsBetter: boolean,
  rustKey: keyof RustFigures,
) => {
  const r: Row = { figure, key, unit, grpc: [], iroh: [], rust: [], rustKey, higherIsBetter };
  rows.push(r);
  return r;
};
const seqRate = row('unary calls/s, sequential', 'seqCallsPerSec', 'calls/s', true, 'seqCallsPerSec');
const seqP50 = row('unary p50, sequential', 'seqP50Ms', 'ms', false, 'seqP50Ms');
const seqP99 = row('unary p99, sequential', 'seqP99Ms', 'ms', false, 'seqP99Ms');
const cRate = row('unary calls/s, concurrency 64', 'c64CallsPerSec', 'calls/s', true, 'c64CallsPerSec');
const cP50 = row('unary p50, concurrency 64', 'c64P50Ms', 'ms', false, 'c64P50Ms');
const cP99 = row('unary p99, concurrency 64', 'c64P99Ms', 'ms', false, 'c64P99Ms');
// The Rust ceiling's 1 MiB figure is an echo: 1 MiB each way per call.
const up = row('1 MiB request (upload)', 'upload1MiBPerSec', 'MiB/s', true, 'echo1MiBPerSec');
const down = row('1 MiB response (download)', 'download1MiBPerSec', 'MiB/s', true, 'echo1MiBPerSec');

// Warm both paths (connection setup, JIT) before measuring.
for (const kind of ['grpc', 'iroh'] as const) {
  const client = createClient(ClusterService, channels[kind]);
  for (let i = 0; i < 200; i++) await client.healthCheck({});
  await client.getVmImage({ inline: true });
}

// Transports alternate within each round, so drift on a shared machine hits both.
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of ['grpc', 'iroh'] as const) {
    const ch = channels[kind];
    const small = () => ch.unary('blixard.ClusterService', 'HealthCheck', healthBytes);
    const s = await runLoad(small, SMALL.seq);
    seqRate[kind].push(s.perSecond);
    seqP50[kind].push(s.p50Ms);
    seqP99[kind].push(s.p99Ms);
    const c = await runLoad(small, SMALL.c64);
    cRate[kind].push(c.perSecond);
    cP50[kind].push(c.p50Ms);
    cP99[kind].push(c.p99Ms);
    const u = await runLoad(() => ch.unary('blixard.ClusterService', 'ShareVmImage', uploadBytes), BULK);
    up[kind].push(u.perSecond);
    const client = createClient(ClusterService, ch);
    const d = await runLoad(() => client.getVmImage({ inline: true }), BULK);
    down[kind].push(d.perSecond);
  }
  const rust = await rustCeiling();
  for (const r of rows) r.rust.push(rust[r.rustKey]);
}

const table = new Table({
  head: ['figure', 'gRPC', 'Iroh', 'Iroh/gRPC', 'better', 'Rust iroh', 'binding/Rust'],
});
const figures: Record<string, number> = {};
for (const r of rows) {
  const g = median(r.grpc);
  const i = median(r.iroh);
  const rs = median(r.rust);
  const ratio = i / g;
  const better = r.higherIsBetter ? (ratio >= 1 ? 'Iroh' : 'gRPC') : ratio <= 1 ? 'Iroh' : 'gRPC';
  table.push([
    r.figure,
    `${fmt(g)} ${r.unit}`,
    `${fmt(i)} ${r.unit}`,
    `${ratio.toFixed(2)}×`,
    better,
    `${fmt(rs)} ${r.unit}`,
    `${(i / rs).toFixed(2)}×`,
  ]);
  Object.assign(figures, {
    [`grpc.${r.key}`]: g,
    [`iroh.${r.key}`]: i,
    [`rust.${r.key}`]: rs,
    [`irohOverGrpc.${r.key}`]: ratio,
    [`bindingOverRust.${r.key}`]: i / rs,
  });
}
console.log(`\nbench/transport — median of ${ROUNDS} round(s), loopback, server in its own process\n`);
console.log(table.toString());

const over = (r: Row) => median(r.iroh) / median(r.grpc);
const goals = [
  ratioGoal('Iroh 1 MiB upload / gRPC', over(up), '≥', 0.9, '×'),
  ratioGoal('Iroh 1 MiB download / gRPC', over(down), '≥', 0.9, '×'),
  ratioGoal('Iroh unary calls/s at concurrency 64 / gRPC', over(cRate), '≥', 1.5, '×'),
  ratioGoal('Iroh unary p50, sequential / gRPC', over(seqP50), '≤', 0.9, '×'),
  ratioGoal('Iroh unary p99, sequential / gRPC', over(seqP99), '≤', 1.1, '×'),
];
console.log('\ngoals:');
for (const g of goals)
  console.log(`  ${g.met ? 'met    ' : 'NOT met'}  ${g.name} ${g.goal} (${g.value.toFixed(2)}×)`);

// The ways through the binding that were tried.
const conn = await (channels.iroh as IrohChannel).connect();
const muxConn = await dial(endpoint, await toEndpointAddr(peer), MUX_ALPN);
const mux = await MuxClient.open(muxConn);
const smallEnvelope = new Uint8Array(64);
const paths = new Table({ head: ['Iroh call layout / bulk path', 'result'] });
const perCall = await runLoad(
  () => channels.iroh.unary('blixard.ClusterService', 'HealthCheck', healthBytes),
  SMALL.c64,
);
const muxed = await runLoad(() => mux.call(smallEnvelope), SMALL.c64);
paths.push([
  'stream per call, concurrency 64 (what the node uses)',
  `${fmt(perCall.perSecond)} calls/s, p99 ${fmt(perCall.p99Ms)} ms`,
]);
paths.push([
  'one multiplexed long-lived stream, concurrency 64',
  `${fmt(muxed.perSecond)} calls/s, p99 ${fmt(muxed.p99Ms)} ms`,
]);
const muxSeq = await runLoad(() => mux.call(smallEnvelope), SMALL.seq);
paths.push([
  'one multiplexed long-lived stream, sequential',
  `${fmt(muxSeq.perSecond)} calls/s, p99 ${fmt(muxSeq.p99Ms)} ms`,
]);
const oneMiB = new Uint8Array(MiB).fill(5);
for (const parallel of [1, 2, 4]) {
  const r = await runLoad(() => channels.iroh.unary('blixard.ClusterService', 'ShareVmImage', uploadBytes), {
    ...BULK,
    concurrency: parallel,
  });
  paths.push([`1 MiB uploads, ${parallel} stream(s) in parallel`, `${fmt(r.perSecond)} MiB/s`]);
}
const muxBulk = await runLoad(() => mux.call(oneMiB), BULK);
paths.push([
  '1 MiB echo on the multiplexed stream (both directions)',
  `${fmt(muxBulk.perSecond * 2)} MiB/s moved`,
]);
console.log(`\nIroh binding paths (QUIC rtt ${conn.rtt() ?? '?'} ms)\n`);
console.log(paths.toString());

await mux.close();
muxConn.close(0, '');
await channels.grpc.close();
await channels.iroh.close();
await endpoint.close();
await stopChild(child);
printBenchJson('transport', { rounds: ROUNDS, ...figures }, goals);

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
