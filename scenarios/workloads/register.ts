/**
 * A register workload: concurrent clients issue WRITE, READ and CAS on a few keys through ProposeTask,
 * each op to a random node over a random transport it serves (gRPC or Iroh, through the node's client
 * link on the hub, with the workload's own channels: clients.ts), and
 * record every invoke and completion. Bounded in op count and time. The choices come from the run's
 * seed; what the cluster answers does not feed back into them except a CAS's expected value.
 */

import type { Cluster } from '../../lab/runtime/index.ts';
import { RegisterOp } from '../../node/gen/blixard_pb.js';
import { pick, randomInt, seededRandom, sleep } from '../../node/lib/index.ts';
import { Code, IrohConnectError, RpcError } from '../../node/transport/index.ts';
import type { HistoryEntry, RegisterFn } from '../checkers/index.ts';
import { WorkloadClients } from './clients.ts';

export interface RegisterWorkloadOptions {
  seed: number;
  clients: number;
  keys: number;
  durationMs: number;
  transports: readonly ('grpc' | 'iroh')[];
  timeoutMs: number;
  maxOps: number;
  /** Pause between one client's ops, ms. */
  thinkMs: number;
  /** Prefix for key names, so runs against one cluster never share a register. */
  keyPrefix: string;
  /** ms since the run started (the history's clock). */
  now: () => number;
  record: (entry: HistoryEntry) => void;
  signal?: AbortSignal | undefined;
}

export interface WorkloadSummary {
  ops: number;
  ok: number;
  fail: number;
  info: number;
  byTransport: Record<string, { ok: number; fail: number; info: number }>;
}

export async function runRegisterWorkload(
  cluster: Cluster,
  o: RegisterWorkloadOptions,
): Promise<WorkloadSummary> {
  const summary: WorkloadSummary = { ops: 0, ok: 0, fail: 0, info: 0, byTransport: {} };
  const clients = new WorkloadClients(cluster);
  const end = o.now() + o.durationMs;
  let nextId = 0;
  const worker = async (w: number) => {
    const random = seededRandom(o.seed, 'register-workload', String(w));
    let process = w;
    let seq = 0;
    const lastSeen = new Map<string, string>();
    while (o.now() < end && nextId < o.maxOps && !o.signal?.aborted) {
      const node = pick(random, cluster.nodes).id;
      const key = `${o.keyPrefix}k${randomInt(random, 0, o.keys)}`;
      const roll = random();
      const f: RegisterFn = roll < 0.4 ? 'read' : roll < 0.8 ? 'write' : 'cas';
      const transport = pick(random, o.transports);
      const value = f === 'read' ? undefined : `${w}.${seq++}`;
      const expected = f === 'cas' ? (lastSeen.get(key) ?? '') : undefined;
      if (!clients.serves(node, transport)) {
        await sleep(o.thinkMs);
        continue;
      }
      const id = nextId++;
      const base = { id, process, f, key, node, transport } as const;
      o.record({ ...base, type: 'invoke', value, expected, time: o.now() });
      let type: 'ok' | 'fail' | 'info';
      try {
        const client = await clients.client(node, transport);
        const reply = await client.proposeTask(
          {
            key,
            op: f === 'read' ? RegisterOp.READ : f === 'write' ? RegisterOp.WRITE : RegisterOp.CAS,
            value: value ?? '',
            expected: expected ?? '',
          },
          { timeoutMs: o.timeoutMs },
        );
        type = 'ok';
        const seen = f === 'read' ? (reply.found ? reply.value : '') : (value as string);
        lastSeen.set(key, seen);
        o.record({ ...base, type, value: seen, time: o.now() });
      } catch (err) {
        type = classify(f, err);
        o.record({ ...base, type, value, error: describe(err), time: o.now() });
        // The client that lost track of an op is a new process from now on (one op at a time each).
        if (type === 'info') process += o.clients;
        // A connection that failed is not worth waiting on: dial again (a new endpoint for Iroh).
        if (
          err instanceof IrohConnectError ||
          (err instanceof RpcError && err.code === Code.DEADLINE_EXCEEDED)
        )
          await clients.renew(node, transport);
      }
      summary.ops++;
      summary[type]++;
      const t = summary.byTransport[transport] ?? { ok: 0, fail: 0, info: 0 };
      summary.byTransport[transport] = t;
      t[type]++;
      await sleep(o.thinkMs);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.clients }, (_, w) => worker(w)));
  } finally {
    await clients.close();
  }
  return summary;
}

/**
 * fail only when the op certainly did not take effect: a read (changes nothing), a CAS that found
 * another value, a bad request, a node that refused before proposing, or no connection at all.
 * Anything else (a deadline, a connection lost mid-call) is info: it may have happened.
 */
export function classify(f: RegisterFn, err: unknown): 'fail' | 'info' {
  if (f === 'read') return 'fail';
  if (err instanceof IrohConnectError) return 'fail';
  if (err instanceof RpcError) {
    if (err.code === Code.FAILED_PRECONDITION || err.code === Code.INVALID_ARGUMENT) return 'fail';
    if (
      err.code === Code.UNAVAILABLE &&
      /not the leader|ECONNREFUSED|No connection established/.test(err.message)
    )
      return 'fail';
  }
  return 'info';
}

function describe(err: unknown): string {
  if (err instanceof RpcError) return `${err.codeName}: ${err.message.split('\n')[0]}`;
  return err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
}
