/**
 * `lab evaluate raft [--quick] [--json] [--budget 30m]`: the Raft transport matrix on the docker
 * runtime — one 3-node cluster per Raft transport (grpc, iroh, adaptive), each network profile put on
 * its peer links in turn — with commit and Raft message latency, commits/s, elections, stability,
 * recovery after a leader kill and the decision rule per cell. Docker, not the process runtime: there
 * Iroh finds paths around the hub (chaos/README.md), so a profile would not reach Raft over Iroh.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nemesis, op } from '../../chaos/nemesis/index.ts';
import { parseBudget } from '../../chaos/nightly/index.ts';
import { Samplers } from '../../chaos/record/index.ts';
import { quantile } from '../../chaos/report/index.ts';
import { decideRaft } from '../../chaos/suite/index.ts';
import {
  Cluster,
  ELECTION_TIMEOUT_MAX_MS,
  LabError,
  REPLICATION_BOUND_MS,
  waitUntil,
} from '../../lab/runtime/index.ts';
import { RegisterOp } from '../../node/gen/blixard_pb.js';
import { sleep } from '../../node/lib/index.ts';
import type { Io } from '../lab/index.ts';
import {
  type CellResult,
  cellDecision,
  type EvaluateTiming,
  FULL,
  type NetworkProfile,
  PROFILES,
  QUICK,
  RAFT_TRANSPORTS,
  type RaftTransportName,
  renderTable,
  strategyFor,
} from './matrix.ts';

export interface EvaluateFlags {
  quick?: boolean;
  json?: boolean;
  budget?: string;
}

/** Where the table (out) and the progress lines (err) go; the lab's state file is not used. */
export type EvaluateIo = Pick<Io, 'out' | 'err'>;

/** How long a proposal may take before it counts as failed (a WAN round trip, a re-election). */
const WRITE_TIMEOUT_MS = 5000;

export async function evaluateCommand(what: string, flags: EvaluateFlags, io: EvaluateIo): Promise<number> {
  if (what !== 'raft') throw new LabError('usage', `evaluate '${what}': only 'raft' can be evaluated`);
  let budgetMs: number;
  try {
    budgetMs = parseBudget(flags.budget ?? (flags.quick ? '30m' : '120m'));
  } catch (err) {
    throw new LabError('usage', `--budget: ${(err as Error).message}`);
  }
  const timing = flags.quick ? QUICK : FULL;
  const progress = (line: string) => io.err(`evaluate: ${line}\n`);
  // The host's load beside the figures: on a shared machine it explains much of the tail latency.
  const loadBefore = loadavg()[0] ?? 0;
  const cells = await evaluateRaft({ timing, budgetMs, progress });
  const host = {
    cores: availableParallelism(),
    loadAverage1m: { before: loadBefore, after: loadavg()[0] ?? 0 },
  };
  if (flags.json) io.out(`${JSON.stringify({ timing, host, cells }, null, 2)}\n`);
  else
    io.out(
      `${renderTable(cells)}  host: ${host.cores} cores, 1-minute load average ${host.loadAverage1m.before.toFixed(1)} before, ${host.loadAverage1m.after.toFixed(1)} after\n`,
    );
  return cells.some((c) => c.decision.startsWith('not run')) ? 1 : 0;
}

export interface EvaluateOptions {
  timing: EvaluateTiming;
  budgetMs: number;
  progress: (line: string) => void;
  profiles?: readonly NetworkProfile[];
  transports?: readonly RaftTransportName[];
}

export async function evaluateRaft(o: EvaluateOptions): Promise<CellResult[]> {
  const deadline = Date.now() + o.budgetMs;
  const profiles = o.profiles ?? PROFILES;
  const cells: CellResult[] = [];
  for (const raft of o.transports ?? RAFT_TRANSPORTS) {
    if (Date.now() >= deadline) {
      for (const p of profiles) cells.push(notRun(p.name, raft, 'not run: the budget ran out'));
      continue;
    }
    o.progress(`${raft}: starting 3 docker nodes (Raft over ${raft})`);
    const dir = await mkdtemp(join(tmpdir(), `lab-evaluate-${raft}-`));
    let cluster: Cluster | undefined;
    try {
      cluster = await Cluster.start({
        nodes: 3,
        runtime: 'docker',
        mode: 'dual',
        strategy: strategyFor(raft),
        workDir: dir,
      });
      const nemesis = new Nemesis(cluster, { seed: 1 });
      for (const profile of profiles) {
        if (Date.now() >= deadline) {
          cells.push(notRun(profile.name, raft, 'not run: the budget ran out'));
          continue;
        }
        o.progress(`${raft} × ${profile.name}: measuring`);
        const cell = await measureCell(cluster, nemesis, raft, profile, o.timing).catch((err: Error) =>
          notRun(profile.name, raft, `not run: ${err.message.split('\n')[0]}`),
        );
        cells.push(cell);
        o.progress(`${raft} × ${profile.name}: ${cell.decision}`);
        await nemesis.apply(op({ do: 'heal' }));
      }
    } finally {
      await cluster?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return cells;
}

function notRun(profile: string, raft: RaftTransportName, why: string): CellResult {
  const none = { p50: null, p95: null, p99: null };
  return {
    profile,
    raft,
    commitMs: none,
    commitsPerSecond: 0,
    failedWrites: 0,
    messageMs: none,
    messages: 0,
    irohShare: null,
    elections: 0,
    stability: null,
    recoveryMs: null,
    decision: why,
    notes: [],
  };
}

async function measureCell(
  c: Cluster,
  nemesis: Nemesis,
  raft: RaftTransportName,
  profile: NetworkProfile,
  timing: EvaluateTiming,
): Promise<CellResult> {
  await c.waitForLeader(REPLICATION_BOUND_MS * 2);
  for (const input of profile.ops) await nemesis.apply(op(input));
  await sleep(timing.settleMs);

  const t0 = performance.now();
  const samples: Parameters<typeof decideRaft>[0][number][] = [];
  // Guests are not part of this: their sampler runs once a minute, the metrics every second.
  const samplers = new Samplers(c, {
    now: () => performance.now() - t0,
    write: (s) => samples.push(s),
    metricsEveryMs: 1000,
    guestEveryMs: 60_000,
  });
  samplers.start();
  const stopFlaps = new AbortController();
  const flaps = profile.flaps ? flap(c, nemesis, profile.flaps, stopFlaps.signal) : Promise.resolve();
  const load = await writeLoad(c, timing);
  stopFlaps.abort();
  await flaps;
  await samplers.stop();
  // Flaps leave the links healed; the other profiles stay on for the kill.
  if (profile.flaps) await nemesis.apply(op({ do: 'heal' }));

  const d = decideRaft(samples, []);
  const iroh = d.transports.find((f) => f.transport === 'iroh')?.messages ?? 0;
  const recoveryMs = await recoverAfterLeaderKill(c);
  const notes = [...(profile.note ? [profile.note] : [])];
  if (recoveryMs === null) notes.push('no new leader within the bound after the leader kill');
  return {
    profile: profile.name,
    raft,
    commitMs: load.latency,
    commitsPerSecond: load.ok / (timing.loadMs / 1000),
    failedWrites: load.failed,
    messageMs: { p50: d.all.p50Ms, p95: d.all.p95Ms, p99: d.all.p99Ms },
    messages: d.all.messages,
    irohShare: d.all.messages > 0 ? iroh / d.all.messages : null,
    elections: d.elections,
    stability: d.stability,
    recoveryMs,
    decision: cellDecision(raft, d.all.p99Ms, d.stability),
    notes,
  };
}

/** Closed-loop register writes to the node that leads, `concurrency` at a time, for `loadMs`. */
async function writeLoad(c: Cluster, timing: EvaluateTiming) {
  const latencies: number[] = [];
  let failed = 0;
  let leader = await c.waitForLeader(REPLICATION_BOUND_MS * 2);
  let seq = 0;
  const until = performance.now() + timing.loadMs;
  const client = async (id: number) => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        await c
          .node(leader)
          .client('grpc')
          .blixard.proposeTask(
            { key: `evaluate-${id}`, op: RegisterOp.WRITE, value: String(seq++) },
            { timeoutMs: WRITE_TIMEOUT_MS },
          );
        latencies.push(performance.now() - started);
      } catch {
        failed += 1;
        // A follower forwards, so any node the others name will do; take whoever leads now.
        leader = (await c.status(1000).catch(() => [])).find((s) => s.role === 'leader')?.id ?? leader;
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: timing.concurrency }, (_, i) => client(i)));
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => (sorted.length > 0 ? quantile(sorted, q) : null);
  return { ok: sorted.length, failed, latency: { p50: at(0.5), p95: at(0.95), p99: at(0.99) } };
}

/** Nodes in turn: cut off from every peer for `downMs`, healed for `upMs`, until aborted. */
async function flap(
  c: Cluster,
  nemesis: Nemesis,
  f: { downMs: number; upMs: number },
  signal: AbortSignal,
): Promise<void> {
  for (let i = 0; !signal.aborted; i++) {
    const node = c.nodes[i % c.nodes.length]?.id as string;
    await nemesis.apply(op({ do: 'partition', kind: 'isolate', node }));
    await sleep(f.downMs, signal).catch(() => undefined);
    await nemesis.apply(op({ do: 'heal' }));
    await sleep(f.upMs, signal).catch(() => undefined);
  }
}

/**
 * SIGKILL of the leader; ms until both survivors name one new leader. Then the node starts again and
 * the cluster agrees on a leader before the next cell. Null when no new leader came within the bound.
 */
async function recoverAfterLeaderKill(c: Cluster): Promise<number | null> {
  const old = await c.waitForLeader(REPLICATION_BOUND_MS * 2);
  const rest = c.nodes.map((n) => n.id).filter((id) => id !== old);
  const killed = performance.now();
  await c.node(old).kill();
  let recovered: number | null = null;
  try {
    await waitUntil({
      what: `a new leader among ${rest.join(', ')} after ${old} was killed`,
      // A WAN round trip per vote on top of the usual: breaker, handshake, election rounds.
      boundMs: REPLICATION_BOUND_MS + 10 * ELECTION_TIMEOUT_MAX_MS,
      intervalMs: 50,
      probe: () => Promise.all(rest.map((id) => c.node(id).status(1000))),
      holds: (s) => s.every((x) => x.leader !== '' && x.leader !== old && x.leader === s[0]?.leader),
      show: (s) => s.map((x) => `${x.id}: ${x.role}, leader '${x.leader}', term ${x.term}`).join('; '),
    });
    recovered = performance.now() - killed;
  } catch {
    recovered = null;
  }
  await c.node(old).start();
  await c.waitForLeader(REPLICATION_BOUND_MS * 3);
  return recovered;
}
