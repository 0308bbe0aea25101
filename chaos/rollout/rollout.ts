/**
 * A rollout against a running lab cluster: step by step, each node's change written to its config
 * (lab/topology) and applied — a restart when its mode changes (one node at a time, each answering on
 * every transport of its new mode before the next), a SIGHUP otherwise, confirmed by the strategy the
 * node reports — then the step's watch window sampled (every node's /metrics) and its gates judged. A
 * breached gate rolls the step back (the cluster returns to the previous step's settings) and ends the
 * rollout; every step, breach and rollback goes to `record` (the run's events.jsonl).
 */
import type { Cluster } from '../../lab/runtime/index.ts';
import { readNodeConfig, writeNodeSettings } from '../../lab/topology/index.ts';
import { ReadConsistency } from '../../node/gen/blixard_pb.js';
import { sleep } from '../../node/lib/index.ts';
import { strategyFromFile, strategyToFile } from '../../node/transport/index.ts';
import { restartInMode, saveLabState } from '../nemesis/index.ts';
import type { Rollout } from './file.ts';
import { describeBreach, evaluateGates, type GateResult, type Scrape, windowFigures } from './gates.ts';
import { type NodeChange, type PlannedStep, planRollout, rollbackChanges, type Settings } from './plan.ts';

/** `restart`: a node restarted in a new mode (the Raft and VM checkers read restarts from the events). */
export type RolloutEventKind = 'rollout-step' | 'rollout-breach' | 'rollout-rollback' | 'restart';

export interface RolloutOptions {
  cluster: Cluster;
  /** Each step, breach and rollback, for the run's events. */
  record?: (kind: RolloutEventKind, detail: Record<string, unknown>) => void;
  progress?: (line: string) => void;
  /** The run's clock (ms), for scrape times. */
  now?: () => number;
  /** How long a restarted node may take to answer on every transport of its mode (default 30 s). */
  healthTimeoutMs?: number;
  /** How long a reloaded node may take to report its new strategy (default 10 s). */
  reloadTimeoutMs?: number;
  stateFile?: string | undefined;
  signal?: AbortSignal;
  /** Called once a step is in place, before its watch window (an incident's faults for that step). */
  onStep?: (step: PlannedStep) => Promise<void>;
}

export interface RolloutOutcome {
  rollout: string;
  outcome: 'completed' | 'rolled-back' | 'failed';
  /** The steps whose gates passed, by name. */
  passed: string[];
  /** Where the cluster was left: the last step in place (`start` before the first). */
  at: string;
  /** The step a breach (or a failed change) undid, and why. */
  rolledBack?: { from: string; to: string; reasons: string[] } | undefined;
  error?: string | undefined;
}

export async function runRollout(rollout: Rollout, opts: RolloutOptions): Promise<RolloutOutcome> {
  const { cluster } = opts;
  const progress = opts.progress ?? (() => {});
  const record = opts.record ?? (() => {});
  const plan = planRollout(rollout, await currentSettings(cluster));
  const irohIds = Object.fromEntries(cluster.state.nodes.map((n) => [n.id, n.irohId]));
  const passed: string[] = [];
  let at = 'start';

  const apply = async (change: NodeChange, why: string) => {
    const node = cluster.node(change.node);
    const path = node.state.configPath;
    if (change.restart) {
      // Recorded as it begins: the checkers allow a commit index to go back across a restart.
      record('restart', { node: change.node, mode: change.to.mode, from: change.from.mode, by: why });
      await restartInMode(cluster, change.node, {
        mode: change.to.mode,
        write: (_mode, back) => writeNodeSettings(path, back ? change.from : change.to, why, irohIds),
        timeoutMs: opts.healthTimeoutMs ?? 30_000,
      });
      await saveLabState(cluster, opts.stateFile);
    } else {
      await writeNodeSettings(path, change.to, why, irohIds);
      await node.reload();
      await confirmStrategy(cluster, change, opts.reloadTimeoutMs ?? 10_000);
    }
  };

  /** Undoes the changes of `step` done so far (all of them after a breach), newest first. */
  const rollBack = async (step: PlannedStep, done: number, reasons: string[]) => {
    const to = step.index === 0 ? 'start' : (plan.steps[step.index - 1] as PlannedStep).name;
    progress(`rolling ${step.name} back to ${to}: ${reasons.join('; ')}`);
    const changes = rollbackChanges({ ...step, changes: step.changes.slice(0, done) });
    const started = performance.now();
    const errors: string[] = [];
    for (const change of changes) {
      try {
        await apply(change, `rolled back from ${step.name} to ${to}`);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    record('rollout-rollback', {
      rollout: rollout.name,
      from: step.name,
      to,
      reasons,
      nodes: changes.map((c) => c.node),
      ms: Math.round(performance.now() - started),
      ...(errors.length > 0 && { errors }),
    });
    return { from: step.name, to, reasons };
  };

  for (const step of plan.steps) {
    if (opts.signal?.aborted) break;
    progress(`${step.name}: ${step.changes.length} node(s) to change (${step.nodes.join(', ')})`);
    const started = performance.now();
    let done = 0;
    try {
      for (const change of step.changes) {
        await apply(change, `${rollout.name}: ${step.name}`);
        done += 1;
      }
    } catch (err) {
      const reason = `${step.changes[done]?.node ?? '?'}: ${(err as Error).message}`;
      const rolledBack = await rollBack(step, done, [reason]);
      return { rollout: rollout.name, outcome: 'failed', passed, at, rolledBack, error: reason };
    }
    const applyMs = Math.round(performance.now() - started);
    await opts.onStep?.(step);
    // New connections (a first gRPC or QUIC handshake to a peer, name lookups) settle before the window.
    await sleep(rollout.settle);
    progress(`${step.name}: in place after ${applyMs} ms; watching ${step.watchMs / 1000} s`);
    const rounds = await watch(cluster, step.watchMs, rollout.sample_every, opts);
    const figures = windowFigures(rounds);
    const results = evaluateGates(step.gates, figures);
    const breaches = results.filter((r) => !r.ok);
    record('rollout-step', {
      rollout: rollout.name,
      step: step.name,
      index: step.index,
      nodes: step.nodes,
      changed: step.changes.map((c) => ({ node: c.node, to: settingsText(c.to), restart: c.restart })),
      applyMs,
      watchMs: step.watchMs,
      gates: results.map(summary),
      ok: breaches.length === 0,
      // What the window measured, judged or not: Raft p99 per transport, fallbacks, stability.
      figures: {
        raft: figures.raft,
        fallbacks: figures.fallbacks,
        outgoing: figures.outgoing,
        stable: `${figures.stable}/${figures.rounds}`,
        iroh: figures.calls
          .filter((c) => c.transport === 'iroh' && c.calls >= step.gates.min_calls)
          .map((c) => `${c.side} ${c.group}: ${c.errors}/${c.calls} failed, p99 ${c.p99Ms} ms`),
      },
      ...(figures.silent.length > 0 && { silent: figures.silent }),
    });
    if (breaches.length > 0) {
      const reasons = breaches.map(describeBreach);
      record('rollout-breach', { rollout: rollout.name, step: step.name, reasons });
      const rolledBack = await rollBack(step, step.changes.length, reasons);
      return { rollout: rollout.name, outcome: 'rolled-back', passed, at, rolledBack };
    }
    passed.push(step.name);
    at = step.name;
  }
  return { rollout: rollout.name, outcome: 'completed', passed, at };
}

/** Every node's mode and strategy as its config file gives them now. */
export async function currentSettings(cluster: Cluster): Promise<Record<string, Settings>> {
  const out: Record<string, Settings> = {};
  for (const node of cluster.nodes) {
    const config = await readNodeConfig(node.state.configPath);
    out[node.id] = { mode: config.transport.mode, strategy: strategyFromFile(config.transport.migration) };
  }
  return out;
}

/** Waits until the reloaded node reports the strategy it was given; the error says what it reported. */
async function confirmStrategy(cluster: Cluster, change: NodeChange, timeoutMs: number): Promise<void> {
  const want = strategyToFile(change.to.strategy);
  const node = cluster.node(change.node);
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    for (const client of node.clients) {
      try {
        const s = (
          await client.cluster.getClusterStatus({ consistency: ReadConsistency.LOCAL }, { timeoutMs: 2000 })
        ).strategy;
        const got = s && {
          prefer_iroh: s.preferIroh,
          raft_transport: s.raftTransport,
          fallback_to_grpc: s.fallbackToGrpc,
        };
        const raftWant = typeof want.raft_transport === 'string' ? want.raft_transport : 'adaptive';
        if (
          got &&
          JSON.stringify(got.prefer_iroh) === JSON.stringify(want.prefer_iroh) &&
          got.raft_transport === raftWant &&
          got.fallback_to_grpc === want.fallback_to_grpc
        )
          return;
        last = got ? JSON.stringify(got) : 'a status without a strategy';
      } catch (err) {
        last = (err as Error).message;
      }
    }
    if (performance.now() > deadline)
      throw new Error(
        `${change.node} did not report its new strategy within ${timeoutMs / 1000} s (last: ${last})`,
      );
    await sleep(200);
  }
}

/** Rounds of scrapes of every node's /metrics through the window (the first at its start). */
async function watch(
  cluster: Cluster,
  watchMs: number,
  everyMs: number,
  opts: RolloutOptions,
): Promise<Scrape[][]> {
  const now = opts.now ?? (() => performance.now());
  const rounds: Scrape[][] = [];
  const end = performance.now() + watchMs;
  for (;;) {
    rounds.push(
      await Promise.all(
        cluster.nodes.map(async (node): Promise<Scrape> => {
          const t = now();
          try {
            const res = await fetch(`http://${node.state.metrics}/metrics`, {
              signal: AbortSignal.timeout(Math.min(2000, everyMs * 2)),
            });
            return { node: node.id, t, text: await res.text() };
          } catch (err) {
            return { node: node.id, t, error: (err as Error).message };
          }
        }),
      ),
    );
    if (performance.now() >= end || opts.signal?.aborted) return rounds;
    await sleep(Math.min(everyMs, Math.max(0, end - performance.now())));
  }
}

function settingsText(s: Settings): string {
  const raft = s.strategy.raftTransport;
  return `${s.mode}; iroh: [${s.strategy.preferIroh.join(', ')}]; raft: ${typeof raft === 'string' ? raft : `adaptive < ${raft.adaptive.latencyThresholdMs} ms`}; fallback: ${s.strategy.fallbackToGrpc}`;
}

function summary(g: GateResult) {
  return {
    gate: g.gate,
    subject: g.subject,
    value: Math.round(g.value * 1e4) / 1e4,
    limit: g.limit,
    ok: g.ok,
    count: g.count,
  };
}
