/**
 * VM create-to-running latency on three real nodes, end to end over one
 * transport: the client's CreateVm, the forward to the leader, the Raft
 * commit, the owner's reconciler booting the guest process, its report
 * committed, and the client seeing RUNNING in GetVmStatus.
 */
import { VmState } from '../../node/gen/blixard_pb.js';
import { LocalCluster } from '../../node/testing/local-cluster.ts';
import { killGuests } from '../../node/vm/testing/guest-processes.ts';
import { LatencyRecorder, type LatencySummary } from '../lib/latency.ts';

export interface CreateLatency {
  transport: 'grpc' | 'iroh';
  ack: LatencySummary;
  running: LatencySummary;
  stopped: LatencySummary;
}

const ALL_GROUPS = ['status', 'monitoring', 'cluster', 'raft', 'vm_ops', 'scheduling', 'tasks'];
const POLL_MS = 2;

export async function measureCreateLatency(
  transport: 'grpc' | 'iroh',
  count: number,
): Promise<CreateLatency> {
  const cluster = await LocalCluster.start({
    nodes: 3,
    mode: 'dual',
    raftTransport: transport,
    preferIroh: transport === 'iroh' ? ALL_GROUPS : [],
    extraToml: '\n[vm]\nvcpus = 64\nmemory_mb = 65536\nguest_memory_scale = 0.01\nheartbeat_ms = 200\n',
  });
  try {
    // A follower takes the calls, as most clients' calls would land on one.
    const { cluster: c } = await cluster.clients('n2', transport);
    await until(
      async () => (await c.getClusterResourceSummary({}, { timeoutMs: 2000 })).totalNodes === 3,
      60_000,
    );
    const ack = new LatencyRecorder();
    const running = new LatencyRecorder();
    const stopped = new LatencyRecorder();
    for (let i = -3; i < count; i++) {
      const name = `bench-${transport}-${i + 3}`;
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
      if (i < 0) continue; // warm-up: first connections, first guest boots
      ack.record(acked - started);
      running.record(up - started);
      stopped.record(down - up);
    }
    return { transport, ack: ack.summary(), running: running.summary(), stopped: stopped.summary() };
  } finally {
    const dir = cluster.dir;
    await cluster.stop();
    killGuests(dir);
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
