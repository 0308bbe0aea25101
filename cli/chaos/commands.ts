/**
 * `lab chaos ...` and `lab replay ...`: the nemesis against the running lab (the one `lab up` left in
 * .lab/state.json), incident files, and replays of recorded runs. Each returns the exit status:
 * 0 done, 1 failed, 2 bad arguments (nothing was changed).
 */

import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeOp,
  Nemesis,
  NemesisError,
  type NemesisOp,
  NemesisOpSchema,
  SelfCheckError,
  selfCheck,
} from '../../chaos/nemesis/index.ts';
import { eventSignature, readEvents } from '../../chaos/record/index.ts';
import { IncidentError, loadIncident } from '../../chaos/schedule/index.ts';
import { loadReplay, type RunResult, type RunVerdict, runIncident } from '../../chaos/suite/index.ts';
import { Cluster, LabError, readState } from '../../lab/runtime/index.ts';
import { detach } from '../../node/lib/index.ts';
import { renderVerdict } from '../../scenarios/checkers/index.ts';
import type { LabIo } from '../io.ts';

export type ChaosIo = LabIo;

const OK = 0;
const FAIL = 1;

/** Validates an op built from flags; a bad value is a usage error naming the field. */
export function opFromFlags(input: Record<string, unknown>): NemesisOp {
  const parsed = NemesisOpSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || input.do;
    throw new LabError(
      'usage',
      `chaos ${String(input.do)}: ${String(field)}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new LabError('usage', `${name}: '${value}' is not a number`);
  return n;
}

function linksFlag(flags: { link?: string[] | undefined; links?: string | undefined }): unknown {
  if (flags.link && flags.link.length > 0) return flags.link;
  return flags.links;
}

export interface FaultFlags {
  transport?: string;
  node?: string;
  jitter?: string;
  link?: string[];
  links?: string;
  nodes?: string;
}

/** Builds the op for `lab chaos <verb> [arg]` from its flags. */
export function chaosOp(verb: string, arg: string | undefined, flags: FaultFlags): NemesisOp {
  const links = linksFlag(flags);
  const common = {
    ...(flags.transport !== undefined && { transport: flags.transport }),
    ...(links !== undefined && { links }),
  };
  switch (verb) {
    case 'partition':
      return opFromFlags({
        do: 'partition',
        kind: arg,
        ...(flags.node !== undefined && { node: flags.node }),
        ...(flags.transport !== undefined && { transport: flags.transport }),
      });
    case 'latency':
      return opFromFlags({
        do: 'latency',
        ms: num('ms', arg),
        ...(flags.jitter && { jitter: num('--jitter', flags.jitter) }),
        ...common,
      });
    case 'loss':
      return opFromFlags({ do: 'loss', probability: num('probability', arg), ...common });
    case 'bandwidth':
      return opFromFlags({ do: 'bandwidth', rate: num('rate', arg), ...common });
    case 'heal':
      return opFromFlags({ do: 'heal' });
    case 'mode':
      return opFromFlags({
        do: 'mode-change',
        mode: arg,
        ...(flags.nodes !== undefined && { nodes: flags.nodes.split(',').map((s) => s.trim()) }),
      });
    case 'transfer':
      return opFromFlags({ do: 'transfer', ...(arg !== undefined && { to: arg }) });
    default:
      return opFromFlags({ do: verb, node: arg });
  }
}

export async function attach(io: ChaosIo): Promise<Cluster> {
  const state = await readState(io.stateFile);
  if (!state) throw new LabError('state', 'no lab is up (start one with `lab up`)');
  return Cluster.attach(state);
}

/** Appends to the lab's own events.jsonl (runs/<lab run id>/) what a manual `lab chaos` did. */
export async function recordManual(
  cluster: Cluster,
  kind: string,
  op: NemesisOp | undefined,
  detail: Record<string, unknown>,
  source = 'lab chaos',
) {
  const line = { wall: new Date().toISOString(), source, kind, ...(op && { op }), detail };
  await appendFile(join(cluster.state.workDir, 'events.jsonl'), `${JSON.stringify(line)}\n`);
}

/** `lab chaos partition|latency|loss|bandwidth|heal|kill|stop|start|pause|resume|restart|mode|transfer|leave|join`. */
export async function chaosCommand(
  verb: string,
  arg: string | undefined,
  flags: FaultFlags,
  io: ChaosIo,
): Promise<number> {
  const op = chaosOp(verb, arg, flags);
  const cluster = await attach(io);
  try {
    const nemesis = new Nemesis(cluster, {
      seed: cluster.state.seed,
      stateFile: io.stateFile,
      record: (r) =>
        detach(recordManual(cluster, r.kind, r.op, r.detail), (e) =>
          io.err(`lab: could not record the ${r.kind} in the run's events: ${(e as Error).message}\n`),
        ),
    });
    try {
      const rec = await nemesis.apply(op);
      io.out(`${describeOp(op)}: done${summary(rec.detail)}\n`);
      return OK;
    } catch (err) {
      return knownFailure(err, io, NemesisError);
    }
  } finally {
    await cluster.detach();
  }
}

/** A failure the command knows (a fault that did not apply, a check that failed) is exit 1 with its message; others propagate. */
function knownFailure(err: unknown, io: ChaosIo, kind: new (...args: never[]) => Error): number {
  if (!(err instanceof kind)) throw err;
  io.err(`lab chaos: ${err.message}\n`);
  return FAIL;
}

function summary(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  if (Array.isArray(detail.cut)) parts.push(`cut ${detail.cut.join(' ')}`);
  if (Array.isArray(detail.links)) parts.push(`${detail.links.length} links`);
  if (Array.isArray(detail.transports)) parts.push(`on ${detail.transports.join('+')}`);
  if (typeof detail.node === 'string') parts.push(detail.node);
  if (detail.healthy === false) parts.push('NOT healthy yet');
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** `lab chaos self-check [--link NAME...]`: proves every fault takes on the running lab. */
export async function chaosSelfCheck(flags: { link?: string[] }, io: ChaosIo): Promise<number> {
  const cluster = await attach(io);
  try {
    const report = await selfCheck(cluster, flags.link && flags.link.length > 0 ? { links: flags.link } : {});
    for (const r of report.results) {
      io.out(
        `${r.link.padEnd(12)} ${r.side}  cut stops traffic · rtt ${r.baselineMs.toFixed(1)} ms → ${r.delayedMs.toFixed(1)} ms with +${report.delayMs} ms\n`,
      );
    }
    io.out(`self-check passed: ${report.results.length} link sides in ${(report.ms / 1000).toFixed(1)} s\n`);
    return OK;
  } catch (err) {
    return knownFailure(err, io, SelfCheckError);
  } finally {
    await cluster.detach();
  }
}

/** `lab verdict runs/<id>`: a recorded run's verdict, every checker, counterexamples in readable form. */
export async function verdictCommand(target: string, io: ChaosIo): Promise<number> {
  let v: RunVerdict;
  try {
    v = JSON.parse(await readFile(join(target, 'verdict.json'), 'utf8')) as RunVerdict;
  } catch (err) {
    throw new LabError(
      'usage',
      `${target}: no readable verdict.json (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  io.out(`run ${target}: ${v.status}${v.reason ? ` — ${v.reason}` : ''}\n`);
  if (v.checkers && v.valid !== undefined)
    io.out(`${renderVerdict({ valid: v.valid, explanation: v.explanation ?? '', results: v.checkers })}\n`);
  else io.out(`linearizable: ${String(v.linearizable)}${v.explanation ? ` — ${v.explanation}` : ''}\n`);
  return v.status === 'pass' ? OK : FAIL;
}

function report(result: RunResult, io: ChaosIo): number {
  const v = result.verdict;
  io.out(`run ${result.id} (seed ${result.seed}): ${v.status}${v.reason ? ` — ${v.reason}` : ''}\n`);
  if (v.workload) {
    const w = v.workload;
    io.out(
      `  ${w.ops} ops: ${w.ok} ok, ${w.fail} fail, ${w.info} unknown; linearizable: ${String(v.linearizable)}\n`,
    );
    for (const [name, c] of Object.entries(w.byWorkload ?? {}))
      io.out(`    ${name}: ${c.ok} ok, ${c.fail} fail, ${c.info} unknown (${c.okPerSec} ok/s)\n`);
  }
  if (v.checkers && v.valid !== undefined) {
    const text = renderVerdict({ valid: v.valid, explanation: v.explanation ?? '', results: v.checkers });
    io.out(
      `${text
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\n`,
    );
  }
  io.out(`  record: ${result.dir}\n`);
  return v.status === 'pass' ? OK : FAIL;
}

async function runWithErrors(fn: () => Promise<number>, io: ChaosIo): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IncidentError) throw new LabError('usage', err.message);
    if (err instanceof SelfCheckError) {
      io.err(`lab: ${err.message}\n`);
      return FAIL;
    }
    throw err;
  }
}

/** `lab chaos run FILE [--seed N]`: the incident against the running lab, or a new cluster when none is up. */
export async function chaosRun(
  file: string,
  flags: { seed?: string; blixardRef?: string },
  io: ChaosIo,
): Promise<number> {
  return runWithErrors(async () => {
    const loaded = await loadIncident(file);
    if (flags.blixardRef !== undefined && loaded.cluster.sut !== 'blixard-rs')
      throw new LabError('usage', `--blixard-ref: ${file} is not a blixard-rs incident (cluster.sut)`);
    if (flags.blixardRef !== undefined && !/^[0-9a-f]{7,40}$/.test(flags.blixardRef))
      throw new LabError('usage', `--blixard-ref: '${flags.blixardRef}' is not a commit hash`);
    const incident =
      flags.blixardRef === undefined
        ? loaded
        : { ...loaded, cluster: { ...loaded.cluster, blixard_ref: flags.blixardRef } };
    const seed = num('--seed', flags.seed);
    const state = await readState(io.stateFile);
    let cluster: Cluster | undefined;
    if (state && (state.sut ?? 'reference') !== incident.cluster.sut) {
      throw new LabError(
        'usage',
        `${file}: cluster.sut is ${incident.cluster.sut} but the running lab runs ${state.sut ?? 'reference'} (lab down first)`,
      );
    }
    if (state) {
      if (state.nodes.length !== incident.cluster.nodes) {
        throw new LabError(
          'usage',
          `${file}: cluster.nodes is ${incident.cluster.nodes} but the running lab has ${state.nodes.length} nodes (lab down, or edit the file)`,
        );
      }
      cluster = await Cluster.attach(state);
    }
    try {
      const result = await runIncident({
        incident,
        seed,
        cluster,
        stateFile: io.stateFile,
        onProgress: (l) => io.err(`${l}\n`),
      });
      return report(result, io);
    } finally {
      await cluster?.detach();
    }
  }, io);
}

/**
 * `lab replay RUN_DIR|INCIDENT.yaml [--seed N]`: the run again on a new cluster, from its incident and
 * seed; for a run directory replayed with its own seed, also says whether the nemesis' events repeated.
 */
export async function replay(target: string, flags: { seed?: string }, io: ChaosIo): Promise<number> {
  return runWithErrors(async () => {
    const { incident, seed: recorded } = await loadReplay(target);
    const seed = num('--seed', flags.seed) ?? recorded;
    io.err(`replaying ${incident.name} with seed ${seed}\n`);
    const result = await runIncident({ incident, seed, onProgress: (l) => io.err(`${l}\n`) });
    const code = report(result, io);
    if (seed === recorded && !target.endsWith('.yaml')) {
      const before = eventSignature(await readEvents(target).catch(() => []));
      const after = eventSignature(await readEvents(result.dir));
      const same = JSON.stringify(before) === JSON.stringify(after);
      io.out(
        `  event sequence ${same ? 'matches' : 'DIFFERS from'} ${target} (${after.length} nemesis events)\n`,
      );
      if (!same) return FAIL;
    }
    return code;
  }, io);
}
