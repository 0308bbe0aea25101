/**
 * Runs a mix of workloads against a cluster: each workload's clients are concurrent workers, one
 * op at a time each, every op to a node and transport drawn from the seed (the node's transports
 * only), recorded as invoke then ok / fail / info. Bounded by a shared op count and by time. A
 * worker whose op ended `info` continues as a new process id (its old process may still have that
 * op in flight, as far as a checker can tell). Workloads that need a last look (the set's final
 * read) get it once every worker's main phase has ended and `healed` has resolved, retried until it
 * answers or `finalMs` runs out.
 */

import type { Cluster } from '../../lab/runtime/index.ts';
import { pick, type Random, seededRandom, sleep } from '../../node/lib/index.ts';
import { Code, IrohConnectError, RpcError } from '../../node/transport/index.ts';
import { type NodeServices, WorkloadClients, type WorkloadTransport } from './clients.ts';
import type { WorkloadEntry, WorkloadFn, WorkloadName } from './history.ts';
import { classify, describe } from './outcome.ts';

export interface WorkloadOptions {
  seed: number;
  durationMs: number;
  transports: readonly WorkloadTransport[];
  /** Per-op deadline. */
  timeoutMs: number;
  /** Upper bound on ops, all workloads together. */
  maxOps: number;
  /** Pause between one client's ops, ms (0: none). */
  thinkMs: number;
  /**
   * Prefix of every register key, VM, task and image name, so runs against one cluster never share
   * one: letters, digits, `_ . -` (names must pass the node's name rule).
   */
  prefix: string;
  /** ms since the run started (the history's clock). */
  now: () => number;
  record: (entry: WorkloadEntry) => void;
  signal?: AbortSignal | undefined;
  /** Resolves once the faults are healed: final reads wait for it (default: at once). */
  healed?: (() => Promise<void>) | undefined;
  /** How long final reads may retry after `healed` (default 20 s). */
  finalMs?: number | undefined;
  /** The main phase lasts `durationMs` and, when given, until this resolves (e.g. a rollout's end). */
  until?: Promise<unknown> | undefined;
}

/** One op a client wants to issue next: what the history records, and how to call it. */
export interface PlannedOp {
  f: WorkloadFn;
  key: string;
  value?: string | undefined;
  expected?: string | undefined;
  /** Changes nothing (a read): any error is `fail`. */
  readOnly: boolean;
  /** Issues the op; resolves with the fields of its `ok` entry. */
  call: (s: NodeServices, opts: { timeoutMs: number }) => Promise<Partial<WorkloadEntry>>;
  /** Fields the `fail`/`info` entry adds for this error (e.g. a failed CAS's current value). */
  onError?: ((err: unknown) => Partial<WorkloadEntry>) | undefined;
  /** Told how the op ended (the client's own bookkeeping). */
  done?: ((type: 'ok' | 'fail' | 'info', fields: Partial<WorkloadEntry>) => void) | undefined;
  /** Fixed node (e.g. a final read), instead of a drawn one. */
  node?: string | undefined;
}

/** A workload's client: a seeded source of ops. */
export interface WorkloadClient {
  /** The next op, or undefined to pause (think) and ask again. */
  next(): PlannedOp | undefined;
  /** Ops to issue once after the run's faults are healed (each retried until it answers). */
  final?(): PlannedOp[];
}

export interface WorkloadSpec {
  name: WorkloadName;
  clients: number;
  /** Client `index` (0-based within this workload) with its own seeded random stream. */
  make(index: number, random: Random): WorkloadClient;
}

/**
 * A workload whose every client plans its ops with a planner of its own (the pure part, seeded per
 * client) and turns each plan into an op.
 */
export function plannedSpec<Plan, Planner extends { next(): Plan | undefined }>(
  name: WorkloadName,
  clients: number,
  plannerOf: (client: number, random: Random) => Planner,
  opOf: (plan: Plan, planner: Planner) => PlannedOp,
): WorkloadSpec {
  const make = (index: number, random: Random): WorkloadClient => {
    const planner = plannerOf(index, random);
    return {
      next: () => {
        const p = planner.next();
        return p === undefined ? undefined : opOf(p, planner);
      },
    };
  };
  return { name, clients, make };
}

export interface Counts {
  ops: number;
  ok: number;
  fail: number;
  info: number;
}

export interface WorkloadSummary extends Counts {
  byTransport: Record<string, { ok: number; fail: number; info: number }>;
  byWorkload: Partial<Record<WorkloadName, Counts & { okPerSec: number; completedPerSec: number }>>;
  /** From the first op to the end of the main phase (final reads excluded). */
  elapsedMs: number;
}

export async function runWorkloads(
  cluster: Cluster,
  specs: readonly WorkloadSpec[],
  o: WorkloadOptions,
): Promise<WorkloadSummary> {
  const summary: WorkloadSummary = {
    ops: 0,
    ok: 0,
    fail: 0,
    info: 0,
    byTransport: {},
    byWorkload: {},
    elapsedMs: 0,
  };
  // A replaced channel outlives the deadline of every call still on it.
  const clients = new WorkloadClients(cluster, { drainMs: o.timeoutMs + 1000 });
  const started = o.now();
  const end = started + o.durationMs;
  let held = o.until !== undefined;
  void o.until?.finally(() => {
    held = false;
  });
  const total = specs.reduce((n, s) => n + s.clients, 0);
  let nextId = 0;
  let mainEnded = started;
  const nodeIds = cluster.nodes.map((n) => n.id);

  const perform = async (
    name: WorkloadName,
    op: PlannedOp,
    node: string,
    transport: WorkloadTransport,
    process: number,
  ): Promise<'ok' | 'fail' | 'info'> => {
    const id = nextId++;
    const base = {
      id,
      process,
      f: op.f,
      key: op.key,
      node,
      transport,
      ...(name !== 'register' && { workload: name }),
    } as const;
    o.record({ ...base, type: 'invoke', value: op.value, expected: op.expected, time: o.now() });
    let type: 'ok' | 'fail' | 'info';
    let fields: Partial<WorkloadEntry>;
    const began = performance.now();
    try {
      const services = await clients.services(node, transport);
      fields = await op.call(services, { timeoutMs: o.timeoutMs });
      type = 'ok';
      o.record({ ...base, type, ...fields, time: o.now() });
    } catch (err) {
      type = classify(op.f, err, op.readOnly);
      fields = op.onError?.(err) ?? {};
      o.record({ ...base, type, value: op.value, ...fields, error: describe(err), time: o.now() });
      // A connection that failed is not worth waiting on: dial again (a new endpoint for Iroh).
      if (err instanceof IrohConnectError || (err instanceof RpcError && err.code === Code.DEADLINE_EXCEEDED))
        clients.renew(node, transport, began);
    }
    op.done?.(type, fields);
    summary.ops++;
    summary[type]++;
    const t = summary.byTransport[transport] ?? { ok: 0, fail: 0, info: 0 };
    summary.byTransport[transport] = t;
    t[type]++;
    const w = summary.byWorkload[name] ?? {
      ops: 0,
      ok: 0,
      fail: 0,
      info: 0,
      okPerSec: 0,
      completedPerSec: 0,
    };
    summary.byWorkload[name] = w;
    w.ops++;
    w[type]++;
    return type;
  };

  const worker = async (spec: WorkloadSpec, index: number, global: number) => {
    const random = seededRandom(o.seed, 'workload', spec.name, String(index));
    const client = spec.make(index, random);
    let process = global;
    const think = () => sleep(Math.max(o.thinkMs, 1));
    while ((o.now() < end || held) && nextId < o.maxOps && !o.signal?.aborted) {
      const op = client.next();
      if (!op) {
        await think();
        continue;
      }
      const node = op.node ?? pick(random, nodeIds);
      const served = o.transports.filter((t) => clients.serves(node, t));
      if (served.length === 0) {
        await think();
        continue;
      }
      const transport = pick(random, served);
      const type = await perform(spec.name, op, node, transport, process);
      // The client that lost track of an op is a new process from now on (one op at a time each).
      if (type === 'info') process += total;
      if (o.thinkMs > 0) await sleep(o.thinkMs);
    }
    mainEnded = Math.max(mainEnded, o.now());
    return { index, process, finals: client.final?.() ?? [] };
  };

  /** A worker's last looks, once every worker's main phase is over and the faults are healed. */
  const finish = async (spec: WorkloadSpec, w: { index: number; process: number; finals: PlannedOp[] }) => {
    let process = w.process;
    const until = o.now() + (o.finalMs ?? 20_000);
    for (const op of w.finals) {
      // Every node in turn, over the transports it serves, until one answers.
      for (let attempt = 0; o.now() < until && !o.signal?.aborted; attempt++) {
        const node = op.node ?? (nodeIds[(w.index + attempt) % nodeIds.length] as string);
        const served = o.transports.filter((t) => clients.serves(node, t));
        const transport = served[attempt % Math.max(served.length, 1)];
        if (transport === undefined) {
          await sleep(200);
          continue;
        }
        const type = await perform(spec.name, op, node, transport, process);
        if (type === 'ok') break;
        if (type === 'info') process += total;
        await sleep(200);
      }
    }
  };

  try {
    let global = 0;
    const workers: Promise<{ spec: WorkloadSpec; w: Awaited<ReturnType<typeof worker>> }>[] = [];
    for (const spec of specs)
      for (let i = 0; i < spec.clients; i++)
        workers.push(worker(spec, i, global++).then((w) => ({ spec, w })));
    const ended = await Promise.all(workers);
    if (ended.some((e) => e.w.finals.length > 0)) {
      await (o.healed?.() ?? Promise.resolve());
      await Promise.all(ended.map((e) => finish(e.spec, e.w)));
    }
  } finally {
    await clients.close();
  }
  summary.elapsedMs = Math.max(1, mainEnded - started);
  for (const w of Object.values(summary.byWorkload)) {
    w.okPerSec = Math.round((w.ok / summary.elapsedMs) * 10_000) / 10;
    w.completedPerSec = Math.round((w.ops / summary.elapsedMs) * 10_000) / 10;
  }
  return summary;
}
