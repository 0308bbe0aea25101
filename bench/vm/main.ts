/**
 * bench/vm: VM create-to-running latency (p50/p99) on three real nodes, once
 * with every group over gRPC and once over Iroh, in one run (the two clusters
 * take turns VM by VM), with the ratio.
 *
 *   node bench/vm/main.ts [--quick]
 */
import Table from 'cli-table3';
import { printBenchJson } from '../lib/index.ts';
import { type CreateLatency, measureCreateLatency } from './create-latency.ts';

const quick = process.argv.includes('--quick');
const COUNT = quick ? 20 : 60;

process.stderr.write(`bench/vm: ${COUNT} VMs per transport, the two clusters taking turns…\n`);
const results: CreateLatency[] = await measureCreateLatency(COUNT);

const ms = (v: number) => v.toFixed(1);
const table = new Table({
  head: [
    'transport',
    'VMs',
    'CreateVm ack p50',
    'p99',
    'create→running p50',
    'p99',
    'stop→stopped p50',
    'p99',
  ],
});
for (const r of results)
  table.push([
    r.transport,
    r.running.count,
    ms(r.ack.p50Ms),
    ms(r.ack.p99Ms),
    ms(r.running.p50Ms),
    ms(r.running.p99Ms),
    ms(r.stopped.p50Ms),
    ms(r.stopped.p99Ms),
  ]);
const [g, i] = results;
if (g && i)
  table.push([
    'iroh / grpc',
    '',
    (i.ack.p50Ms / g.ack.p50Ms).toFixed(2),
    (i.ack.p99Ms / g.ack.p99Ms).toFixed(2),
    (i.running.p50Ms / g.running.p50Ms).toFixed(2),
    (i.running.p99Ms / g.running.p99Ms).toFixed(2),
    (i.stopped.p50Ms / g.stopped.p50Ms).toFixed(2),
    (i.stopped.p99Ms / g.stopped.p99Ms).toFixed(2),
  ]);
console.log('VM create-to-running latency, ms (3 nodes on loopback, guest = a child process)');
console.log(table.toString());

const figures: Record<string, number> = {};
for (const r of results) {
  Object.assign(figures, {
    [`${r.transport}.vms`]: r.running.count,
    [`${r.transport}.ackP50Ms`]: r.ack.p50Ms,
    [`${r.transport}.ackP99Ms`]: r.ack.p99Ms,
    [`${r.transport}.runningP50Ms`]: r.running.p50Ms,
    [`${r.transport}.runningP99Ms`]: r.running.p99Ms,
    [`${r.transport}.stoppedP50Ms`]: r.stopped.p50Ms,
    [`${r.transport}.stoppedP99Ms`]: r.stopped.p99Ms,
  });
}
printBenchJson('vm', figures);
