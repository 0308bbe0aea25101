/**
 * `lab load [node] --rate R --duration D [--transport grpc|iroh|both] [--mix M] [--slo S] [--json]`:
 * an open-model load (constant arrival rate; latency from the intended send time) against the
 * running lab over either or both transports at once, any RPC mix, with SLO thresholds that fail
 * the run (exit 1). While it runs the lab's Prometheus scrapes its figures (job blixard-load); at
 * its end they go to the lab's run directory (load-<time>.json) and its report.html.
 */
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { writeReport } from '../../chaos/report/index.ts';
import { addScrapeTarget, hostAddressForPrometheus } from '../../lab/observability/index.ts';
import { Cluster, type ClusterState, LabError, readState } from '../../lab/runtime/index.ts';
import { seededRandom } from '../../node/lib/index.ts';
import { codeName, RpcError, type TransportKind } from '../../node/transport/index.ts';
import {
  judge,
  LoadMetrics,
  type LoadRecord,
  loadId,
  mixDrawer,
  parseMix,
  parseSlo,
  runOpenLoop,
  type Threshold,
} from '../../scenarios/load/index.ts';
import { parseDeadline, requestFromJson, resolveMethod } from '../call/index.ts';

export interface LoadFlags {
  rate?: string;
  duration?: string;
  transport?: string;
  mix?: string;
  slo?: string;
  deadline?: string;
  seed?: string;
  json?: boolean;
}

export interface LoadIo {
  out: (text: string) => void;
  err: (text: string) => void;
  stateFile: string;
}

export type LoadReport = LoadRecord;

function usage(message: string): never {
  throw new LabError('usage', message);
}

/** Runs the load against an attached cluster: the report, and whether every threshold held. */
export async function loadCluster(
  cluster: Cluster,
  nodeId: string | undefined,
  flags: LoadFlags,
  o: { id?: string; metrics?: LoadMetrics } = {},
): Promise<LoadReport> {
  const rate = Number(flags.rate ?? '100');
  if (!(rate > 0) || rate > 20_000)
    usage(`--rate '${flags.rate}': expected requests per second in (0, 20000]`);
  const durationMs = parseDeadline(flags.duration ?? '10s');
  if (durationMs > 600_000) usage(`--duration '${flags.duration}': at most 10m`);
  const deadlineMs = parseDeadline(flags.deadline ?? '5s');
  const mixText = flags.mix ?? 'ClusterService/HealthCheck';
  let thresholds: Threshold[] = [];
  let mix: ReturnType<typeof parseMix>;
  try {
    mix = parseMix(mixText);
    thresholds = flags.slo ? parseSlo(flags.slo) : [];
  } catch (err) {
    usage((err as Error).message);
  }
  const methods = new Map(mix.map((e) => [e.method, resolveMethod(e.method)]));
  const requests = new Map(
    [...methods].map(([name, ref]) => [name, toBinary(ref.method.input, requestFromJson(ref, '{}'))]),
  );
  const nodes = nodeId === undefined ? cluster.nodes : cluster.nodes.filter((n) => n.id === nodeId);
  if (nodes.length === 0) usage(`node '${nodeId}': the lab has ${cluster.nodes.map((n) => n.id).join(', ')}`);
  const wanted = flags.transport ?? 'both';
  if (!['grpc', 'iroh', 'both'].includes(wanted))
    usage(`--transport '${wanted}': expected grpc, iroh or both`);
  const kinds: TransportKind[] = wanted === 'both' ? ['grpc', 'iroh'] : [wanted as TransportKind];
  for (const kind of kinds) {
    const missing = nodes.filter((n) => !n.clients.some((c) => c.transport === kind));
    if (missing.length > 0)
      usage(`--transport ${kind}: ${missing.map((n) => n.id).join(', ')} serve no ${kind}`);
  }
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  const started = new Date();
  const runs = await Promise.all(
    kinds.map(async (kind) => {
      const draw = mixDrawer(mix, seededRandom(seed, 'load', kind));
      /** The method of each request in flight, for its metrics when it ends. */
      const inFlight = new Map<number, string>();
      const result = await runOpenLoop({
        rate,
        durationMs,
        drainMs: deadlineMs + 1000,
        observe: ({ index, kind: outcome, latencyMs }) => {
          o.metrics?.observe(kind, inFlight.get(index) ?? '', outcome ?? 'ok', latencyMs);
          inFlight.delete(index);
        },
        send: (i) => {
          const method = draw();
          const ref = methods.get(method);
          const node = nodes[i % nodes.length];
          if (!ref || !node) return Promise.reject(new Error('no method or node'));
          if (o.metrics) inFlight.set(i, method);
          return node
            .client(kind)
            .channel.unary(ref.service.typeName, ref.method.name, requests.get(method) as Uint8Array, {
              timeoutMs: deadlineMs,
            });
        },
        classify: (err) => (err instanceof RpcError ? codeName(err.code) : 'ERROR'),
      });
      return [kind, result] as const;
    }),
  );
  const report: LoadReport = {
    id: o.id ?? loadId(started),
    startedAt: started.toISOString(),
    rate,
    durationMs,
    mix: mixText,
    nodes: nodes.map((n) => n.id),
    slo: thresholds.map((t) => t.text),
    transports: {},
    breaches: [],
  };
  for (const [kind, result] of runs) {
    const { histogram, ...figures } = result;
    report.transports[kind] = figures;
    const breaches = judge(thresholds, {
      sent: result.sent,
      errors: result.errors,
      percentileMs: (p) => histogram.getValueAtPercentile(p) / 1000,
    });
    report.breaches.push(...breaches.map((b) => ({ ...b, transport: kind })));
  }
  return report;
}

export function renderLoadReport(r: LoadReport): string {
  const lines = [
    `load: ${r.rate}/s for ${r.durationMs / 1000} s on ${r.nodes.join(', ')} · mix ${r.mix}`,
    'transport  sent    ok      errors  p50 ms   p90 ms   p99 ms   p99.9 ms  max ms    answered/s',
  ];
  for (const [kind, t] of Object.entries(r.transports)) {
    const f = (n: number) => n.toFixed(2).padEnd(9);
    lines.push(
      `${kind.padEnd(10)} ${String(t.sent).padEnd(7)} ${String(t.ok).padEnd(7)} ${String(t.errors).padEnd(7)} ${f(t.latencyMs.p50)}${f(t.latencyMs.p90)}${f(t.latencyMs.p99)}${f(t.latencyMs.p999)} ${f(t.latencyMs.max)} ${t.achievedRate.toFixed(1)}`,
    );
    const kinds = Object.entries(t.errorsByKind);
    lines.push(
      `           from the actual send: p50 ${t.serviceMs.p50.toFixed(2)} ms, p99 ${t.serviceMs.p99.toFixed(2)} ms; sent late by p50 ${t.lagMs.p50.toFixed(2)} ms, p99 ${t.lagMs.p99.toFixed(2)} ms`,
    );
    if (kinds.length > 0) lines.push(`           errors: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  if (r.slo.length > 0) {
    lines.push(
      r.breaches.length === 0
        ? `SLO met: ${r.slo.join(', ')}`
        : `SLO broken: ${r.breaches.map((b) => `${b.transport} ${b.threshold} (${b.value})`).join('; ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The lab's Prometheus scrapes `metrics` while the load runs: served on the host where it reaches
 * it, named in its targets folder. Returns what to do at the end (after the final figures were read).
 */
async function exposeToPrometheus(
  state: ClusterState,
  metrics: LoadMetrics,
  say: (line: string) => void,
): Promise<() => Promise<void>> {
  if (!state.prometheus) return () => metrics.close();
  const address = await metrics.serve(await hostAddressForPrometheus(state));
  const target = await addScrapeTarget(state, metrics.loadId, address, { load: metrics.loadId });
  say(
    `load: Prometheus ${state.prometheus.url} scrapes ${address} (job blixard-load, load="${metrics.loadId}")`,
  );
  // Interrupted: the target goes with the process, or the lab's Prometheus would keep a target down.
  const onSignal = () => {
    rmSync(target.file, { force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The lab scrapes every 2 s and reads its targets folder at least every 5 s.
    const scraped = await metrics.waitForScrape(15_000);
    if (!scraped) say(`load: Prometheus did not scrape ${address} after the load ended (within 15 s)`);
    await target.remove();
    await metrics.close();
  };
}

/** `lab load ...` against the lab remembered in the state file. */
export async function loadCommand(nodeId: string | undefined, flags: LoadFlags, io: LoadIo): Promise<number> {
  const state = await readState(io.stateFile);
  if (!state) throw new LabError('state', 'no lab is up (start one with `lab up`)');
  const cluster = await Cluster.attach(state);
  const say = (line: string) => io.err(`${line}\n`);
  const id = loadId(new Date());
  const metrics = new LoadMetrics(id);
  let finish: (() => Promise<void>) | undefined;
  try {
    finish = await exposeToPrometheus(state, metrics, say);
    say(`load: running ${flags.duration ?? '10s'} at ${flags.rate ?? '100'}/s…`);
    const began = Date.now();
    // A line every 10 s, so a long load is never silent.
    const ticker = setInterval(
      () => say(`load: ${Math.round((Date.now() - began) / 1000)} s: ${metrics.answeredSoFar()}`),
      10_000,
    );
    const report = await loadCluster(cluster, nodeId, flags, { id, metrics }).finally(() =>
      clearInterval(ticker),
    );
    await finish();
    finish = undefined;
    const file = join(state.workDir, `${id}.json`);
    await mkdir(state.workDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    const html = await writeReport(state.workDir).then(
      (r) => r.path,
      (err: unknown) => {
        say(`load: report not written: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      },
    );
    io.out(
      flags.json
        ? `${JSON.stringify({ ...report, file, report: html })}\n`
        : `${renderLoadReport(report)}results: ${file}${html ? `\nreport: ${html}` : ''}\n`,
    );
    return report.breaches.length === 0 ? 0 : 1;
  } finally {
    await finish?.();
    await cluster.detach();
  }
}
