/**
 * VM create-to-running latency on three real nodes, end to end over one
 * transport: the client's CreateVm, the forward to the leader, the Raft
 * commit, the owner's reconciler booting the guest process, its report
 * committed, and the client seeing RUNNING in GetVmStatus. Two clusters (one
 * per transport) run side by side and take turns, so both see the same load.
 */
import { VmState } from '../../node/gen/blixard_pb.js';
import { LocalCluster } from '../../node/testing/index.ts';
import type { ClusterService, TypedClient } from '../../node/transport/index.ts';
import { killGuests } from '../../node/vm/index.ts';
import { LatencyRecorder, type LatencySummary } from '../lib/index.ts';

export type Transport = 'grpc' | 'iroh';

export interface CreateLatency {
  transport: Transport;
  ack: LatencySummary;
  running: LatencySummary;
  stopped: LatencySummary;
}

const ALL_GROUPS = ['status', 'monitoring', 'cluster', 'raft', 'vm_ops', 'scheduling', 'tasks'];
const POLL_MS = 2;
const WARMUP = 3;

interface Bench {
  transport: Transport;
  cluster: LocalCluster;
  client: TypedClient<typeof ClusterService>;
  ack: LatencyRecorder;
  running: LatencyRecorder;
  stopped: LatencyRecorder;
}

/** A three-node cluster with every group over `transport`, and a client of n2 (a follower or the leader, as the election went). */
async function open(transport: Transport): Promise<Bench> {
  const cluster = await LocalCluster.start({
    nodes: 3,
    mode: 'dual',
    raftTransport: transport,
    preferIroh: transport === 'iroh' ? ALL_GROUPS : [],
    extraToml: '\n[vm]\nvcpus = 64\nmemory_mb = 65536\nguest_memory_scale = 0.01\nheartbeat_ms = 200\n',
  });
  const { cluster: client } = await cluster.clients('n2', transport);
  await until(
    async () => (await client.getClusterResourceSummary({}, { timeoutMs: 2000 })).totalNodes === 3,
    60_000,
  );
  const rec = () => new LatencyRecorder();
  return { transport, cluster, client, ack: rec(), running: rec(), stopped: rec() };
}

/** One VM's life: create, wait for RUNNING, stop, wait for STOPPED, delete. */
async function cycle(b: Bench, n: number, record: boolean): Promise<void> {
  const c = b.client;
  const name = `bench-${b.transport}-${n}`;
  const started = performance.now();
  await c.createVm({ name, vcpus: 1, memoryMb: 64n }, { timeoutMs: 10_000 });
  const acked = performance.now();
  await until(
    async () => (await c.getVmStatus({ name }, { timeoutMs: 2000 })).vm?.state === VmState.RUNNING,
    30_000,
  );
  const up = performance.now();
  await c.stopVm({ name }, { timeoutMs: 10_000 });
  await until(
    async () => (await c.getVmStatus({ name }, { timeoutMs: 2000 })).vm?.state === VmState.STOPPED,
    30_000,
  );
  const down = performance.now();
  await c.deleteVm({ name }, { timeoutMs: 10_000 });
  if (!record) return;
  b.ack.record(acked - started);
  b.running.record(up - started);
  b.stopped.record(down - up);
}

export async function measureCreateLatency(count: number): Promise<CreateLatency[]> {
  const benches: Bench[] = [];
  try {
    for (const t of ['grpc', 'iroh'] as const) benches.push(await open(t));
    for (let i = 0; i < WARMUP + count; i++) {
      // Alternate which transport goes first, so neither always follows the other's stop.
      const order = i % 2 === 0 ? benches : [...benches].reverse();
      for (const b of order) await cycle(b, i, i >= WARMUP);
    }
    return benches.map((b) => ({
      transport: b.transport,
      ack: b.ack.summary(),
      running: b.running.summary(),
      stopped: b.stopped.summary(),
    }));
  } finally {
    for (const b of benches) {
      await b.cluster.stop();
      killGuests(b.cluster.dir);
    }
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
