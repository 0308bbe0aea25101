/**
 * Samplers: while a run goes on, the lab looks at every node on its own, outside the workload's
 * path, into samples.jsonl.
 *
 * - `raft` (every ≤ 250 ms per node): GetRaftStatus and GetClusterStatus with consistency LOCAL —
 *   the node's own view (role, term, leader, vote, commit, applied, last log, digest, members),
 *   called over gRPC straight to the node's own address (the container's address on docker, its
 *   bind address in the process runtime), not through its client link on the hub, so a partition
 *   of the client link does not blind the sampler; a node that serves no gRPC is asked over Iroh
 *   through its client link. A call that does not answer within its deadline is a sample with
 *   `ok: false` and the error.
 * - `guests` (every ≤ 500 ms per node): the VM guest processes that run inside the node — docker:
 *   /proc inside its container, scanned by one long-lived `docker exec` loop per node that prints a
 *   frame every 300 ms (a new exec per sample would cost more CPU than the nodes have); a frame
 *   that does not come within two periods (a paused or stopped container) is a sample with
 *   `ok: false`, and the loop is started again once the container runs. Process runtime: the host's
 *   /proc, each guest attributed by its `--node=` argument. A guest is a process whose command line
 *   has `--name=<vm>` and `--node=<node>` (node/vm/process-backend.ts).
 * - `metrics` (every ≤ 2 s per node): the node's /metrics, kept to the Raft series the run's Raft
 *   decision reads (RAFT_METRIC_PREFIXES: message round trips by transport, elections, leader
 *   changes), so message latency can be taken between two samples outside the fault windows.
 *
 * Every sample carries `t` (ms on the run's clock, when it was asked) and `ms` (how long it took).
 */

import { readdir, readFile } from 'node:fs/promises';
import { type Cluster, demuxStream, dockerClient } from '../../lab/runtime/index.ts';
import { readNodeConfig } from '../../lab/topology/index.ts';
import { NodeRole, ReadConsistency } from '../../node/gen/blixard_pb.js';
import { orAbsent, release, sleep } from '../../node/lib/index.ts';
import {
  BlixardService,
  ClusterService,
  createClient,
  GrpcChannel,
  type RpcChannel,
} from '../../node/transport/index.ts';

export interface RaftView {
  role: string;
  term: number;
  leader: string;
  votedFor: string;
  commit: number;
  applied: number;
  lastIndex: number;
  lastTerm: number;
  snapshotIndex: number;
  digest: string;
  leaderChanges: number;
}

export interface ClusterView {
  leader: string;
  term: number;
  commit: number;
  applied: number;
  digest: string;
  members: { id: string; role: string; voter: boolean; reachable: boolean }[];
}

export interface Guest {
  pid: number;
  vm: string;
  /** The node the guest's command line names. */
  owner: string;
  /** The VM's size as its command line gives it (0 when absent). */
  vcpus: number;
  memoryMb: number;
}

export type Sample =
  | {
      kind: 'raft';
      t: number;
      node: string;
      ms: number;
      via: 'grpc-direct' | 'iroh-link';
      ok: true;
      raft: RaftView;
      cluster: ClusterView | { error: string };
    }
  | { kind: 'raft'; t: number; node: string; ms: number; ok: false; error: string }
  | { kind: 'guests'; t: number; node: string; ms: number; ok: true; guests: Guest[] }
  | { kind: 'guests'; t: number; node: string; ms: number; ok: false; error: string }
  | { kind: 'metrics'; t: number; node: string; ms: number; ok: true; prom: string }
  | { kind: 'metrics'; t: number; node: string; ms: number; ok: false; error: string };

/** The exposition lines a `metrics` sample keeps (the rest of /metrics is not needed by any judge). */
export const RAFT_METRIC_PREFIXES = [
  'blixard_raft_message_duration_seconds_bucket',
  'blixard_raft_message_duration_seconds_count',
  'blixard_raft_elections_started',
  'blixard_raft_leader_changes',
] as const;

export interface SamplerOptions {
  /** ms on the run's clock. */
  now: () => number;
  write: (sample: Sample) => void;
  /**
   * Period of the raft sampler per node (default 250 ms). Each call may take four periods, with up
   * to four in flight, so a node that does not answer still gives a sample (its error) every period.
   */
  raftEveryMs?: number | undefined;
  /** Period of the guest sampler per node (default 500 ms); 0: no guest sampler. */
  guestEveryMs?: number | undefined;
  /** Period of the metrics sampler per node (default 2000 ms, the lab Prometheus' scrape interval). */
  metricsEveryMs?: number | undefined;
}

export interface SamplerCounts {
  raft: number;
  raftFailed: number;
  guests: number;
  guestsFailed: number;
  metrics: number;
  metricsFailed: number;
}

const ROLE_NAME: Record<number, string> = {
  [NodeRole.FOLLOWER]: 'follower',
  [NodeRole.PRE_CANDIDATE]: 'pre-candidate',
  [NodeRole.CANDIDATE]: 'candidate',
  [NodeRole.LEADER]: 'leader',
  [NodeRole.LEARNER]: 'learner',
};

/** Guest lines as the in-container script prints them: `<pid> <command line, args space-separated>`. */
export function parseGuests(text: string): Guest[] {
  const guests: Guest[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const args = (m[2] as string).split(/\s+/);
    const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
    const vm = arg('name');
    const owner = arg('node');
    if (vm === undefined || owner === undefined) continue;
    guests.push({
      pid: Number(m[1]),
      vm,
      owner,
      vcpus: Number(arg('vcpus') ?? 0) || 0,
      memoryMb: Number(arg('memory-mb') ?? 0) || 0,
    });
  }
  return guests.sort((a, b) => a.pid - b.pid);
}

/**
 * When a frame's /proc scan began, on the run's clock: the loop prints the wall clock (ms) on a
 * `@@t` line before it scans, and the host and the container share the kernel's clock. The frame may
 * reach the host much later on a loaded machine; its arrival is not when the guests were seen.
 * Without that line (an older loop): `nowRun`.
 */
export function frameTime(frame: string, nowRun: number, nowWall: number): number {
  const m = /^@@t (\d+)$/m.exec(frame);
  if (!m) return nowRun;
  return nowRun - Math.max(0, nowWall - Number(m[1]));
}

/** The end of one frame of the in-container loop. */
const FRAME_END = '@@';
/** Frames one in-container loop prints at most (about two hours); the loop also ends with its pipe. */
const MAX_FRAMES = 24_000;

/**
 * Run inside a container: every `sleepS` seconds, the wall clock (`@@t <ms>`), then every process whose command line names a VM
 * (`--name=`) and a node, then a FRAME_END line.
 */
function guestLoop(sleepS: number): string {
  return (
    `n=0; while [ $n -lt ${MAX_FRAMES} ]; do n=$((n+1)); echo "@@t $(date +%s%3N)"; ` +
    'for d in /proc/[0-9]*; do c=$(tr "\\000" " " < "$d/cmdline" 2>/dev/null) || continue; ' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    'case "$c" in *--name=*--node=*) echo "${d#/proc/} $c";; esac; done; ' +
    `echo ${FRAME_END} || exit 0; sleep ${sleepS}; done`
  );
}

/** The host's /proc, as the same lines (process runtime). */
async function hostGuestLines(): Promise<string> {
  const lines: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const raw = await orAbsent(readFile(`/proc/${pid}/cmdline`, 'utf8'));
    if (!raw) continue;
    const c = raw.split('\0').join(' ');
    if (/--name=.*--node=/.test(c)) lines.push(`${pid} ${c}`);
  }
  return lines.join('\n');
}

export class Samplers {
  readonly #cluster: Cluster;
  readonly #o: SamplerOptions;
  readonly #stop = new AbortController();
  readonly #channels = new Map<string, RpcChannel>();
  readonly #loops: Promise<void>[] = [];
  readonly counts: SamplerCounts = {
    raft: 0,
    raftFailed: 0,
    guests: 0,
    guestsFailed: 0,
    metrics: 0,
    metricsFailed: 0,
  };

  constructor(cluster: Cluster, o: SamplerOptions) {
    this.#cluster = cluster;
    this.#o = o;
  }

  start(): void {
    const raftEvery = this.#o.raftEveryMs ?? 250;
    const guestEvery = this.#o.guestEveryMs ?? 500;
    const metricsEvery = this.#o.metricsEveryMs ?? 2000;
    for (const node of this.#cluster.nodes) {
      this.#loops.push(this.#every(raftEvery, 4, () => this.#sampleRaft(node.id, raftEvery * 4)));
      if (metricsEvery > 0)
        this.#loops.push(this.#every(metricsEvery, 1, () => this.#sampleMetrics(node.id, metricsEvery)));
      if (guestEvery === 0) continue;
      this.#loops.push(
        node.state.container
          ? this.#streamGuests(node.id, guestEvery)
          : this.#every(guestEvery, 1, () => this.#sampleHostGuests(node.id)),
      );
    }
  }

  /** Stops sampling; resolves once every sample in flight is written. */
  async stop(): Promise<SamplerCounts> {
    this.#stop.abort();
    await Promise.all(this.#loops);
    await Promise.all([...this.#channels.values()].map((c) => release(c.close())));
    this.#channels.clear();
    return this.counts;
  }

  /** Starts `take` every `periodMs`, at most `maxInFlight` at once (a slow node is not piled on). */
  async #every(periodMs: number, maxInFlight: number, take: () => Promise<void>): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const signal = this.#stop.signal;
    let next = performance.now();
    while (!signal.aborted) {
      if (inFlight.size < maxInFlight) {
        const p = take().finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      next += periodMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait, signal);
      else next = performance.now();
    }
    await Promise.all(inFlight);
  }

  async #target(nodeId: string): Promise<{ channel: RpcChannel; via: 'grpc-direct' | 'iroh-link' }> {
    const node = this.#cluster.node(nodeId);
    if (node.state.mode === 'iroh') return { channel: node.client('iroh').channel, via: 'iroh-link' };
    const config = await readNodeConfig(node.state.configPath);
    const bind = config.transport.grpc.bind_address;
    const port = bind.slice(bind.lastIndexOf(':') + 1);
    const bindHost = bind.slice(0, bind.lastIndexOf(':'));
    const metricsHost = node.state.metrics.slice(0, node.state.metrics.lastIndexOf(':'));
    const host = bindHost === '0.0.0.0' || bindHost === '' || bindHost === '::' ? metricsHost : bindHost;
    const address = `${host}:${port}`;
    let channel = this.#channels.get(address);
    if (!channel) {
      channel = new GrpcChannel(address);
      this.#channels.set(address, channel);
    }
    return { channel, via: 'grpc-direct' };
  }

  async #sampleRaft(nodeId: string, deadlineMs: number): Promise<void> {
    const t = this.#o.now();
    try {
      const { channel, via } = await this.#target(nodeId);
      const opts = { timeoutMs: deadlineMs };
      const [r, c] = await Promise.all([
        createClient(BlixardService, channel).getRaftStatus({}, opts),
        createClient(ClusterService, channel)
          .getClusterStatus({ consistency: ReadConsistency.LOCAL }, opts)
          .catch((err: Error) => ({ error: err.message.split('\n')[0] ?? String(err) })),
      ]);
      const cluster: ClusterView | { error: string } =
        'error' in c
          ? c
          : {
              leader: c.leaderId,
              term: Number(c.term),
              commit: Number(c.commitIndex),
              applied: Number(c.appliedIndex),
              digest: c.stateDigest,
              members: c.members.map((m) => ({
                id: m.id,
                role: ROLE_NAME[m.role] ?? String(m.role),
                voter: m.voter,
                reachable: m.reachable,
              })),
            };
      this.counts.raft++;
      this.#o.write({
        kind: 'raft',
        t,
        node: nodeId,
        ms: this.#o.now() - t,
        via,
        ok: true,
        raft: {
          role: ROLE_NAME[r.role] ?? String(r.role),
          term: Number(r.term),
          leader: r.leaderId,
          votedFor: r.votedFor,
          commit: Number(r.commitIndex),
          applied: Number(r.appliedIndex),
          lastIndex: Number(r.lastLogIndex),
          lastTerm: Number(r.lastLogTerm),
          snapshotIndex: Number(r.snapshotIndex),
          digest: r.stateDigest,
          leaderChanges: Number(r.leaderChanges),
        },
        cluster,
      });
    } catch (err) {
      this.counts.raftFailed++;
      this.#failed('raft', t, nodeId, err);
    }
  }

  /** The node's /metrics (the address it publishes to the host, never through a chaos link), Raft lines only. */
  async #sampleMetrics(nodeId: string, deadlineMs: number): Promise<void> {
    const t = this.#o.now();
    try {
      const res = await fetch(`http://${this.#cluster.node(nodeId).state.metrics}/metrics`, {
        signal: AbortSignal.timeout(deadlineMs),
      });
      if (!res.ok) throw new Error(`/metrics answered HTTP ${res.status}`);
      const prom = keepRaftLines(await res.text());
      this.counts.metrics++;
      this.#o.write({ kind: 'metrics', t, node: nodeId, ms: this.#o.now() - t, ok: true, prom });
    } catch (err) {
      this.counts.metricsFailed++;
      this.#failed('metrics', t, nodeId, err);
    }
  }

  /** A sample of a node that did not answer: its error, never a gap. */
  #failed(kind: 'raft' | 'metrics', t: number, node: string, err: unknown): void {
    this.#o.write({ kind, t, node, ms: this.#o.now() - t, ok: false, error: firstLine(err) });
  }

  /** Process runtime: the host's /proc. */
  async #sampleHostGuests(nodeId: string): Promise<void> {
    const t = this.#o.now();
    try {
      const guests = parseGuests(await hostGuestLines()).filter((g) => g.owner === nodeId);
      this.#guests(t, nodeId, guests);
    } catch (err) {
      this.#guestError(t, nodeId, firstLine(err));
    }
  }

  /** Docker: one in-container loop at a time per node, started again whenever it ends. */
  async #streamGuests(nodeId: string, periodMs: number): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const t = this.#o.now();
      try {
        await this.#guestStream(nodeId, periodMs, signal);
      } catch (err) {
        this.#guestError(t, nodeId, `guest loop: ${firstLine(err)}`);
      }
      await sleep(periodMs, signal);
    }
  }

  async #guestStream(nodeId: string, periodMs: number, signal: AbortSignal): Promise<void> {
    const container = dockerClient().getContainer(this.#cluster.node(nodeId).state.container as string);
    const exec = await container.exec({
      Cmd: ['sh', '-c', guestLoop(Math.max(0.05, (periodMs * 0.6) / 1000))],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    let lastFrame = performance.now();
    let text = '';
    // A frame overdue by two periods: the container is paused or gone; say so every period.
    const watchdog = setInterval(() => {
      const silent = performance.now() - lastFrame;
      if (silent > 2 * periodMs)
        this.#guestError(
          this.#o.now(),
          nodeId,
          `no guest frame for ${Math.round(silent)} ms (paused or stopped?)`,
        );
    }, periodMs);
    try {
      const ended = demuxStream(
        stream,
        (chunk) => {
          text += chunk;
          let at = text.indexOf(`${FRAME_END}\n`);
          while (at >= 0) {
            const frame = text.slice(0, at);
            text = text.slice(at + FRAME_END.length + 1);
            lastFrame = performance.now();
            this.#guests(frameTime(frame, this.#o.now(), Date.now()), nodeId, parseGuests(frame));
            at = text.indexOf(`${FRAME_END}\n`);
          }
        },
        signal,
      );
      const { stderr } = await ended;
      if (!signal.aborted)
        throw new Error(`ended${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`);
    } finally {
      clearInterval(watchdog);
      (stream as { destroy?: () => void }).destroy?.();
    }
  }

  #guests(t: number, node: string, guests: Guest[]): void {
    this.counts.guests++;
    this.#o.write({ kind: 'guests', t, node, ms: this.#o.now() - t, ok: true, guests });
  }

  #guestError(t: number, node: string, error: string): void {
    this.counts.guestsFailed++;
    this.#o.write({ kind: 'guests', t, node, ms: this.#o.now() - t, ok: false, error });
  }
}

/** The lines of an exposition text whose series the Raft decision reads. */
export function keepRaftLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => RAFT_METRIC_PREFIXES.some((p) => line.startsWith(p)))
    .join('\n');
}

function firstLine(err: unknown): string {
  const text = String(err);
  return text.split('\n')[0] ?? text;
}
