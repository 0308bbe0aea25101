/**
 * A recorded chaos run: start (or use) a cluster, prove the faults take (self-check), run the
 * incident's workloads while the nemesis plays the schedule and the samplers watch every node,
 * heal everything, check linearizability of the registers, and leave runs/<id>/ with the incident
 * and seed (enough to replay it), events, history, samples, node logs, metrics and the verdict.
 */

import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Cluster, newRunId, REPO_ROOT } from '../../lab/runtime/index.ts';
import { readNodeConfig } from '../../lab/topology/index.ts';
import { orAbsent, sleep } from '../../node/lib/index.ts';
import type { CheckerResult, RaftSampleLike, Validity } from '../../scenarios/checkers/index.ts';
import { registerOps, runWorkloads, specsOf, type WorkloadSummary } from '../../scenarios/workloads/index.ts';
import type { RaftSampleView, Schedule } from '../nemesis/index.ts';
import {
  describeOp,
  Nemesis,
  NemesisError,
  namedNodes,
  nodeAnswers,
  SelfCheckError,
  type SelfCheckOptions,
  selfCheck,
  TriggerWatch,
} from '../nemesis/index.ts';
import { RunRecorder, readSamples, type SamplerCounts, Samplers } from '../record/index.ts';
import { reportRun } from '../report/index.ts';
import { loadRollout, type Rollout, RolloutError, runRollout } from '../rollout/index.ts';
import * as incidents from '../schedule/index.ts';
import { judgeRun, NOT_CHECKABLE_ON_BLIXARD } from './judge.ts';
import { QUIET_BOUND_MS, quietTail } from './quiet-tail.ts';
import { decideRaft, type RaftDecision } from './raft-decision.ts';
import { awaitTrigger } from './trigger-wait.ts';

/** How often each real Blixard node's status is sampled (each sample runs its CLI twice). */
const BLIXARD_SAMPLE_MS = 1000;

export const RUNS_DIR = join(REPO_ROOT, 'runs');

/** How long the workload goes on after the heal that follows a rollout: the convergence check's 10 s bound. */
const AFTER_ROLLOUT_MS = 10_000;

export interface RunOptions {
  incident: incidents.Incident;
  /** Overrides the incident's seed (a generated schedule and the workload's choices follow it). */
  seed?: number | undefined;
  /** Use this running cluster (e.g. `lab up`'s) instead of starting one from the incident. */
  cluster?: Cluster | undefined;
  runsDir?: string | undefined;
  runId?: string | undefined;
  onProgress?: ((line: string) => void) | undefined;
  /** Passed to the self-check (tests narrow it to a few links). */
  selfCheck?: SelfCheckOptions | undefined;
  /** The lab's state file, kept in step after a mode change. */
  stateFile?: string | undefined;
}

export interface RunVerdict {
  /** unknown: no checker failed, but one could not decide (kept apart from a failure of the system). */
  status: 'pass' | 'fail' | 'unknown' | 'aborted';
  reason?: string | undefined;
  /** The worst of all checkers (false < unknown < true). */
  valid?: Validity | undefined;
  /** Every checker with its result, explanation and evidence. */
  checkers?: CheckerResult[] | undefined;
  /** What the system under test's API cannot feed, so no checker judged it. */
  notChecked?: string[] | undefined;
  /** The register checker's result alone (as earlier runs recorded it). */
  linearizable?: Validity | undefined;
  explanation?: string | undefined;
  workload?: WorkloadSummary | undefined;
  /** The migration's Raft decision on this run (message p50/p99 per transport, election stability, the rule's outcome); it informs, it does not fail a run. */
  raftDecision?: RaftDecision | undefined;
  /** Samples written to samples.jsonl (and how many found the node silent). */
  samples?: SamplerCounts | undefined;
  nemesisErrors: string[];
}

export interface RunResult {
  id: string;
  dir: string;
  seed: number;
  verdict: RunVerdict;
  schedule: Schedule;
}

/** Runs an incident; throws SelfCheckError (after recording it) when a fault does not take. */
export async function runIncident(options: RunOptions): Promise<RunResult> {
  const { incident } = options;
  const seed = options.seed ?? incident.seed;
  const schedule = incidents.scheduleOf(incident, seed);
  const rollouts = await loadRollouts(schedule, incident.source);
  const id = options.runId ?? newRunId('run');
  const dir = join(options.runsDir ?? RUNS_DIR, id);
  const progress = options.onProgress ?? (() => {});
  const rec = await RunRecorder.create({ dir, id, seed });
  const { source: _source, ...file } = incident;
  await rec.writeText('incident.yaml', incidents.incidentToYaml(incident, seed));
  await rec.writeJson('schedule.json', schedule);

  let cluster = options.cluster;
  const owned = cluster === undefined;
  const verdict: RunVerdict = { status: 'fail', nemesisErrors: [] };
  // Whatever ends the run, the workload and the samplers stop with it.
  let samplers: Samplers | undefined;
  let workloadDone: Promise<unknown> | undefined;
  let markHealed = () => {};
  let scheduleDone = () => {};
  const stopWorkload = new AbortController();
  try {
    if (!cluster) {
      progress(
        `starting ${incident.cluster.nodes} nodes (${incident.cluster.runtime}, ${incident.cluster.mode})`,
      );
      const strategy = incidents.strategyOf(incident);
      const sut = incident.cluster.sut;
      cluster = await Cluster.start({
        nodes: incident.cluster.nodes,
        runtime: incident.cluster.runtime,
        mode: incident.cluster.mode,
        sut,
        ...(sut === 'blixard-rs' && {
          blixard: incident.cluster.blixard_ref !== undefined ? { ref: incident.cluster.blixard_ref } : {},
          blixardMembers: incident.cluster.blixard_members,
          onProgress: progress,
        }),
        ...(strategy && { strategy }),
        seed,
        workDir: join(dir, 'cluster'),
        runId: `lab-${id}`,
      });
    }
    const c = cluster;
    await rec.writeJson('config.json', {
      incident: file,
      seed,
      cluster: {
        runId: c.runId,
        runtime: c.runtime,
        sut: c.sut,
        ...(c.state.blixard && { blixardCommit: c.state.blixard.commit }),
        mode: c.state.mode,
        strategy: c.state.strategy ?? 'default (gRPC)',
        nodes: c.state.nodes.map((n) => ({ id: n.id, mode: n.mode, irohId: n.irohId, metrics: n.metrics })),
        links: c.state.links.map((l) => l.name),
        hub: { tcpAdmin: c.state.hub.tcpAdmin, udpAdmin: c.state.hub.udpAdmin },
      },
    });
    rec.event('run-start', {
      detail: { incident: incident.name, seed, cluster: c.runId, ops: schedule.length },
    });
    for (const step of schedule) checkNodes(step.op, c);
    const asked = incidents.strategyOf(incident);
    if (!owned && asked && JSON.stringify(asked) !== JSON.stringify(c.state.strategy)) {
      progress(
        `note: the incident asks for strategy ${JSON.stringify(asked)}; the running lab's applies: ${JSON.stringify(c.state.strategy ?? 'default (gRPC)')}`,
      );
    }

    if (incident.self_check) {
      progress('self-check: every link, every transport: a cut stops traffic, a delay shows in the RTT');
      try {
        const report = await selfCheck(c, options.selfCheck);
        rec.event('self-check', { detail: { ok: true, ...report } });
      } catch (err) {
        const failures = err instanceof SelfCheckError ? err.failures : [];
        rec.event('self-check', { detail: { ok: false, error: (err as Error).message, failures } });
        verdict.status = 'aborted';
        verdict.reason = (err as Error).message;
        throw err;
      }
    } else {
      rec.event('self-check', { detail: { ok: false, skipped: 'self_check: false in the incident file' } });
    }
    // Every node answers on every transport it serves before the schedule starts (new connections:
    // the lab client's own Iroh endpoint may still be stuck on links the self-check cut).
    const silent = (
      await Promise.all(c.nodes.map(async (n) => ((await nodeAnswers(c, n.id, 30_000)) ? undefined : n.id)))
    ).filter((id) => id !== undefined);
    if (silent.length > 0) {
      verdict.status = 'aborted';
      verdict.reason = `${silent.join(', ')} did not answer on every transport before the schedule started`;
      throw new Error(verdict.reason);
    }

    const nemesis = new Nemesis(c, {
      seed,
      stateFile: options.stateFile,
      // A node that is slow to come back must not hold up the rest of the schedule for long.
      healthTimeoutMs: 10_000,
      record: (r) => rec.event(r.kind, { at: r.at, op: r.op, detail: r.detail }),
      rollout: async (op) => {
        const outcome = await runRollout(rollouts.get(op.file) as Rollout, {
          cluster: c,
          record: (kind, detail) => rec.event(kind, { detail }),
          progress: (line) => progress(`  rollout: ${line}`),
          now: () => rec.now(),
          stateFile: options.stateFile,
          signal: stopWorkload.signal,
          onStep: async (step) => {
            for (const fault of op.on_step?.[step.name] ?? []) {
              progress(`  rollout: ${step.name} in place: ${describeOp(fault)}`);
              await nemesis.apply(fault);
            }
          },
        });
        return { ...outcome };
      },
    });
    const w = incident.workload;
    const mix = incidents.mixOf(w);
    rec.event('workload-start', { detail: { ...w, mix } });
    const raftSeen: RaftSampleLike[] = [];
    // What packages' triggers wait for: writes in flight, a vote in a new term.
    const watch = new TriggerWatch();
    // The real Blixard is asked through its CLI (a process per call): sampled less often; its mock VM
    // backend runs no guest process to sample, and it serves no lab metrics.
    const blixard = c.sut === 'blixard-rs';
    samplers = new Samplers(c, {
      now: () => rec.now(),
      write: (sample) => {
        rec.sample(sample);
        if (sample.kind === 'raft') raftSeen.push(sample as RaftSampleLike);
        watch.observeSample(sample as RaftSampleView);
      },
      ...(blixard && { raftEveryMs: BLIXARD_SAMPLE_MS, guestEveryMs: 0, metricsEveryMs: 0 }),
    });
    samplers.start();
    const healed = new Promise<void>((resolve) => {
      markHealed = resolve;
    });
    const t0 = rec.now();
    // The workload keeps going until the schedule is played out (a schedule slowed by a busy machine,
    // or a rollout, still has the workload running under every fault).
    const played = new Promise<void>((resolve) => {
      scheduleDone = resolve;
    });
    const workload = runWorkloads(
      c,
      specsOf(mix, { keys: w.keys, prefix: id, nodes: c.nodes.map((n) => n.id), vmNames: w.vm_names }),
      {
        seed,
        durationMs: Math.max(w.duration, schedule.at(-1)?.at ?? 0),
        transports: w.transports,
        timeoutMs: w.timeout,
        maxOps: w.max_ops,
        thinkMs: w.think,
        prefix: id,
        now: () => rec.now(),
        record: (e) => {
          rec.history(e);
          watch.observeOp(e);
        },
        healed: () => healed,
        signal: stopWorkload.signal,
        until: played,
      },
    );
    workloadDone = workload.catch(() => undefined);
    // The schedule runs on the run's clock; an op that fails is recorded and the run goes on. A
    // rollout runs beside the schedule, so the faults after it strike while it is under way.
    const apply = async (step: (typeof schedule)[number]) => {
      try {
        const { op, when } = await awaitTrigger(watch, step, () => rec.now(), t0 + step.at);
        if (when) progress(`  ${when.met ? 'when' : 'not seen'}: ${when.seen} after ${when.waitedMs} ms`);
        await nemesis.apply(op, step.at, when && { when });
      } catch (err) {
        if (!(err instanceof NemesisError)) throw err;
        verdict.nemesisErrors.push(err.message);
        progress(`  failed: ${err.message}`);
      }
    };
    const running: Promise<void>[] = [];
    for (const step of schedule) {
      const wait = t0 + step.at - rec.now();
      if (wait > 0) await sleep(wait);
      progress(`t=${(step.at / 1000).toFixed(1)}s ${describeOp(step.op)}`);
      if (step.op.do === 'rollout') running.push(apply(step));
      else await apply(step);
    }
    await Promise.all(running);
    await nemesis.recoverAll().catch((err: Error) => verdict.nemesisErrors.push(err.message));
    // A rollout may end past the workload's duration: the workload (and the samplers) go on a while
    // after the heal, so the checkers see the cluster as it settles.
    if (running.length > 0) await sleep(AFTER_ROLLOUT_MS);
    scheduleDone();
    markHealed();
    const summary = await workload;
    const quietFrom = rec.now();
    rec.event('quiet', { detail: { boundMs: QUIET_BOUND_MS } });
    progress('quiet tail: sampling until every node agrees on one applied index and digest');
    const quiet = await quietTail({ samples: () => raftSeen, from: quietFrom, now: () => rec.now() });
    rec.event('quiet-end', { detail: { ...quiet } });
    verdict.samples = await samplers.stop();
    rec.event('workload-end', { detail: { ...summary } });
    verdict.workload = summary;

    const registers = registerOps(rec.operations);
    progress(`judging ${rec.operations.length / 2} ops and the samples`);
    await rec.flushSamples();
    const samples = await readSamples<Parameters<typeof judgeRun>[0]['samples'][number]>(dir);
    // The migration decision reads the reference node's Raft metrics; the real Blixard serves none.
    if (!blixard) {
      verdict.raftDecision = decideRaft(samples, rec.events);
      progress(verdict.raftDecision.statement);
    }
    const judged = judgeRun({
      registers,
      history: rec.operations,
      samples,
      events: rec.events,
      capacity: blixard ? {} : await capacities(c),
      slo: incidents.sloOf(incident),
      availability: w.availability,
      sut: c.sut,
      checks: incident.checks,
    });
    verdict.valid = judged.valid;
    if (blixard) verdict.notChecked = [...NOT_CHECKABLE_ON_BLIXARD];
    verdict.checkers = judged.results;
    const lin = judged.results.find((r) => r.name === 'registers: linearizable');
    verdict.linearizable = lin?.valid;
    verdict.explanation = judged.explanation;
    const whole = verdict.nemesisErrors.length === 0 && summary.ok > 0;
    verdict.status = !whole || judged.valid === false ? 'fail' : judged.valid === true ? 'pass' : 'unknown';
    if (summary.ok === 0) verdict.reason = 'no operation succeeded';
    else if (judged.valid !== true) verdict.reason = judged.explanation;
    else if (verdict.nemesisErrors.length > 0) verdict.reason = 'some nemesis ops failed';
    await snapshot(c, rec);
  } catch (err) {
    // Anything that stops a run before its verdict is an abort, with the reason on record.
    verdict.status = 'aborted';
    verdict.reason ??= err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    stopWorkload.abort();
    markHealed();
    scheduleDone();
    // In-flight ops end within their deadline; nothing is recorded after the record closes.
    await workloadDone;
    await samplers?.stop();
    rec.event('run-end', { detail: { status: verdict.status } });
    // A verdict that cannot be written must not pass unseen: the run's error (or this one) is thrown.
    const verdictWritten = rec.writeJson('verdict.json', verdict);
    await rec.close();
    if (owned) await cluster?.stop();
    await verdictWritten;
    await reportRun(dir, progress);
  }
  return { id, dir, seed, verdict, schedule };
}

/**
 * Every rollout file the schedule names, read and validated before anything starts: relative to the
 * incident file, else to the repository (a recorded run's incident.yaml keeps the names it was given).
 */
async function loadRollouts(schedule: Schedule, source: string): Promise<Map<string, Rollout>> {
  const out = new Map<string, Rollout>();
  for (const { op } of schedule) {
    if (op.do !== 'rollout' || out.has(op.file)) continue;
    const beside = resolve(dirname(source), op.file);
    const path = isAbsolute(op.file)
      ? op.file
      : (await orAbsent(stat(beside)))
        ? beside
        : resolve(REPO_ROOT, op.file);
    let rollout: Rollout;
    try {
      rollout = await loadRollout(path);
    } catch (err) {
      if (err instanceof RolloutError) throw new incidents.IncidentError(source, err.problems);
      throw err;
    }
    const names = rollout.steps.map((s, i) => s.name ?? `step ${i + 1}`);
    const unknown = Object.keys(op.on_step ?? {}).filter((n) => !names.includes(n));
    if (unknown.length > 0)
      throw new incidents.IncidentError(source, [
        `${source}: on_step: no step ${unknown.join(', ')} in ${op.file} (steps: ${names.join(', ')})`,
      ]);
    out.set(op.file, rollout);
  }
  return out;
}

function checkNodes(op: Parameters<typeof describeOp>[0], cluster: Cluster): void {
  for (const n of namedNodes(op)) cluster.node(n);
}

/** Node logs and each node's /metrics at the end of the run. */
async function snapshot(cluster: Cluster, rec: RunRecorder): Promise<void> {
  await mkdir(join(rec.dir, 'logs'), { recursive: true });
  await mkdir(join(rec.dir, 'metrics'), { recursive: true });
  for (const node of cluster.nodes) {
    const logPath = node.state.logPath;
    if (logPath && (await orAbsent(stat(logPath)))) {
      await copyFile(logPath, join(rec.dir, 'logs', `${node.id}.log`));
    } else {
      await rec.writeText(
        join('logs', `${node.id}.log`),
        await node.logs().catch((e: Error) => `(no logs: ${e.message})\n`),
      );
    }
    try {
      const res = await fetch(`http://${node.state.metrics}/metrics`, { signal: AbortSignal.timeout(3000) });
      await rec.writeText(join('metrics', `${node.id}.prom`), await res.text());
    } catch (err) {
      await rec.writeText(join('metrics', `${node.id}.prom`), `# no metrics: ${(err as Error).message}\n`);
    }
  }
}

/**
 * `lab replay <run-dir | incident.yaml> [--seed N]`: the incident and seed of a recorded run (or a
 * file), run again. The same seed gives the same fault schedule and the same workload choices.
 */
export async function loadReplay(target: string): Promise<{ incident: incidents.Incident; seed: number }> {
  const isDir = (await orAbsent(stat(target)))?.isDirectory() ?? false;
  if (!isDir) {
    const incident = await incidents.loadIncident(target);
    return { incident, seed: incident.seed };
  }
  const file = join(target, 'incident.yaml');
  const incident = incidents.parseIncident(
    await readFile(file, 'utf8').catch(() => {
      throw new Error(`${target} is not a recorded run (no incident.yaml)`);
    }),
    file,
  );
  const seedText = await readFile(join(target, 'seed'), 'utf8').catch(() => String(incident.seed));
  const seed = Number.parseInt(seedText.trim(), 10);
  if (!Number.isInteger(seed)) throw new Error(`${join(target, 'seed')}: '${seedText.trim()}' is not a seed`);
  return { incident, seed };
}

/** Each node's VM capacity as its config gives it (for the capacity judge); a node whose config cannot be read is left out. */
async function capacities(cluster: Cluster): Promise<Record<string, { vcpus: number; memoryMb: number }>> {
  const out: Record<string, { vcpus: number; memoryMb: number }> = {};
  for (const node of cluster.state.nodes) {
    const config = await orAbsent(readNodeConfig(node.configPath));
    if (config) out[node.id] = { vcpus: config.vm.vcpus, memoryMb: config.vm.memory_mb };
  }
  return out;
}
