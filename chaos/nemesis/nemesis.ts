/**
 * The nemesis against a running lab cluster: applies ops (partitions, link faults, node faults, a
 * rolling transport-mode change) through the hub's links and the runtime's node handles, and writes
 * every fault, heal and restart to the run's events. Planning is pure (partition.ts, link-faults.ts);
 * this file only does the I/O.
 */
import type { LinkSide } from '../../hub/links/index.ts';
import type { Cluster, NodeHandle } from '../../lab/runtime/index.ts';
import { readState, writeState } from '../../lab/runtime/index.ts';
import { writeNodeMode } from '../../lab/topology/index.ts';
import { orAbsent, pick, release, seededRandom, sleep } from '../../node/lib/index.ts';
import type { TransportMode } from '../../node/transport/index.ts';
import { probeOnce, probeTargets } from '../probes/index.ts';
import { wipeData } from './data-faults.ts';
import { rogueGuest } from './guest-faults.ts';
import { isToxicOp, type LinkRef, selectLinks, toxicsFor, transportsFor } from './link-faults.ts';
import { describeOp, type NemesisOp, type NODE_OPS } from './ops.ts';
import { linkNameOf, planPartition } from './partition.ts';
import { changeLeadership, joinCluster } from './raft-ops.ts';

export type NemesisEventKind = 'fault' | 'heal' | 'restart' | 'mode-change' | 'rollout' | 'nemesis-error';

export interface NemesisRecord {
  kind: NemesisEventKind;
  op: NemesisOp;
  at?: number | undefined;
  detail: Record<string, unknown>;
}

export interface NemesisOptions {
  /** Seed for the choices an op leaves open (e.g. how halves are drawn). */
  seed?: number;
  /** Called once per applied op (events.jsonl). */
  record?: (r: NemesisRecord) => void;
  /** How long a started or restarted node may take to answer HealthCheck (default 30 s). */
  healthTimeoutMs?: number;
  /** The lab's state file, kept in step after a mode change (so `lab status` shows the new mode). */
  stateFile?: string | undefined;
  /**
   * Runs a `rollout` op (chaos/rollout sits above the nemesis); its detail is the rollout's outcome.
   * Without it a rollout op is an error.
   */
  rollout?: (op: Extract<NemesisOp, { do: 'rollout' }>) => Promise<Record<string, unknown>>;
}

export class NemesisError extends Error {
  override name = 'NemesisError';
}

export class Nemesis {
  readonly cluster: Cluster;
  readonly #options: NemesisOptions;
  #count = 0;
  /** The node the last op with a node acted on (`previous`). */
  #previous: string | undefined;

  constructor(cluster: Cluster, options: NemesisOptions = {}) {
    this.cluster = cluster;
    this.#options = options;
  }

  get nodeIds(): string[] {
    return this.cluster.nodes.map((n) => n.id);
  }

  get links(): LinkRef[] {
    return this.cluster.state.links.map((l) => ({ name: l.name, from: l.from, to: l.to }));
  }

  /**
   * Applies one op; `at` is its time in the schedule and `note` what led to it (a trigger), for the
   * record. Errors are recorded, then thrown.
   */
  async apply(op: NemesisOp, at?: number, note?: Record<string, unknown>): Promise<NemesisRecord> {
    const index = this.#count++;
    const started = performance.now();
    try {
      const { kind, detail } = await this.#apply(op, index);
      const rec: NemesisRecord = {
        kind,
        op,
        at,
        detail: { ...note, ...detail, ms: Math.round(performance.now() - started) },
      };
      this.#options.record?.(rec);
      return rec;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#options.record?.({ kind: 'nemesis-error', op, at, detail: { ...note, error: message } });
      throw new NemesisError(`${describeOp(op)}: ${message}`);
    }
  }

  async #apply(
    op: NemesisOp,
    index: number,
  ): Promise<{ kind: NemesisEventKind; detail: Record<string, unknown> }> {
    if (op.do === 'partition') {
      const byLeader = op.kind === 'leader' || op.kind === 'leader-clients';
      const target = await this.#target(byLeader ? 'leader' : op.node, index);
      const plan = planPartition({
        kind: op.kind,
        nodes: this.nodeIds,
        target,
        random: seededRandom(this.#options.seed ?? 0, 'partition', String(index)),
      });
      const transports = transportsFor(op.transport);
      const cut = plan.cut.map(linkNameOf);
      await Promise.all(cut.map(async (name) => (await this.cluster.links.get(name, transports)).cut()));
      return {
        kind: 'fault',
        detail: { cut, transports, components: plan.components, ...(target && { node: target }) },
      };
    }
    if (op.do === 'heal') {
      // Every link of the hub enabled and without toxics, on both transports.
      await this.cluster.links.reset();
      return { kind: 'heal', detail: {} };
    }
    if (isToxicOp(op)) {
      const specs = toxicsFor(op);
      const transports = transportsFor(op.transport);
      const links = selectLinks(op.links, this.links).map((l) => l.name);
      await Promise.all(
        links.map(async (name) => {
          const link = await this.cluster.links.get(name, transports);
          for (const spec of specs) {
            // Replaces a toxic of the same name, if there is one.
            await release(link.removeToxic(spec.name));
            await link.addToxic(spec, { transports });
          }
        }),
      );
      return { kind: 'fault', detail: { links, transports, toxics: specs } };
    }
    if (op.do === 'mode-change') return { kind: 'mode-change', detail: await this.#rollingModeChange(op) };
    if (op.do === 'rollout') {
      if (!this.#options.rollout) throw new Error('this nemesis runs no rollouts');
      return { kind: 'rollout', detail: await this.#options.rollout(op) };
    }
    const timeout = this.#options.healthTimeoutMs ?? 30_000;
    if (op.do === 'rogue-guest') return { kind: 'fault', detail: await rogueGuest(this.cluster, op) };
    if (op.do === 'wipe-data') {
      const detail = await wipeData(this.cluster, op);
      await this.#saveState();
      const healthy = await Promise.all(detail.nodes.map((id) => nodeAnswers(this.cluster, id, timeout)));
      return { kind: 'fault', detail: { ...detail, healthy } };
    }
    const leaderOf = () => this.leader();
    if (op.do === 'transfer' || op.do === 'leave') {
      const node = (await this.#target(op.do === 'transfer' ? op.to : op.node, index)) as string;
      return { kind: 'fault', detail: await changeLeadership(this.cluster, leaderOf, op.do, node, timeout) };
    }
    if (op.do === 'join') {
      const node = (await this.#target(op.node, index)) as string;
      return { kind: 'heal', detail: await joinCluster(this.cluster, leaderOf, node, timeout) };
    }
    const node = this.cluster.node((await this.#target(op.node, index)) as string);
    try {
      return await this.#nodeOp(op, node);
    } finally {
      await this.#saveState();
    }
  }

  async #nodeOp(
    op: Extract<NemesisOp, { node: string }> & { do: (typeof NODE_OPS)[number] },
    node: NodeHandle,
  ): Promise<{ kind: NemesisEventKind; detail: Record<string, unknown> }> {
    const timeout = this.#options.healthTimeoutMs ?? 30_000;
    switch (op.do) {
      case 'kill':
        await node.kill();
        return { kind: 'fault', detail: { node: node.id } };
      case 'stop':
        await node.stop();
        return { kind: 'fault', detail: { node: node.id } };
      case 'pause':
        await node.pause();
        return { kind: 'fault', detail: { node: node.id } };
      case 'resume':
        await node.resume();
        return {
          kind: 'heal',
          detail: { node: node.id, healthy: await nodeAnswers(this.cluster, node.id, timeout) },
        };
      case 'start':
        await node.start();
        return {
          kind: 'restart',
          detail: { node: node.id, healthy: await nodeAnswers(this.cluster, node.id, timeout) },
        };
      case 'restart':
        await node.restart();
        return {
          kind: 'restart',
          detail: { node: node.id, healthy: await nodeAnswers(this.cluster, node.id, timeout) },
        };
    }
  }

  /**
   * The node a target names when the op runs: an id as is, `leader`, `follower` (drawn from the
   * seed among the others), `previous` (the node the last op with a node acted on).
   */
  async #target(target: string | undefined, index: number): Promise<string | undefined> {
    if (target === undefined) return undefined;
    let id = target;
    if (target === 'leader') id = await this.leader();
    else if (target === 'follower') {
      const leader = await this.leader();
      const others = this.nodeIds.filter((n) => n !== leader);
      id = pick(seededRandom(this.#options.seed ?? 0, 'follower', String(index)), others);
    } else if (target === 'previous') {
      if (this.#previous === undefined) throw new Error('`previous`: no earlier op acted on a node');
      id = this.#previous;
    }
    this.#previous = id;
    return id;
  }

  /**
   * The node every reachable node names as leader (the first one that answers), waiting up to the
   * health timeout for one: an election in progress, or a busy machine, is not yet a failure.
   */
  async leader(): Promise<string> {
    const deadline = performance.now() + (this.#options.healthTimeoutMs ?? 30_000);
    for (;;) {
      const statuses = await this.cluster.status(1500);
      const own = statuses.find((s) => s.role === 'leader');
      const named = own?.id ?? statuses.map((s) => s.leader).find((l) => this.nodeIds.includes(l));
      if (named) return named;
      if (performance.now() > deadline) {
        const seen = statuses.map((s) => `${s.id}: ${s.health} ${s.role || '?'}`).join(', ');
        throw new Error(`no node knows a leader right now (${seen})`);
      }
      await sleep(250);
    }
  }

  /**
   * Node by node: the config gets the new `[transport] mode`, the node restarts with it (same data),
   * and the next node waits until this one answers HealthCheck on every transport it now serves.
   */
  async #rollingModeChange(op: Extract<NemesisOp, { do: 'mode-change' }>): Promise<Record<string, unknown>> {
    const order = op.nodes ?? this.nodeIds;
    for (const id of order) this.cluster.node(id);
    const steps: { node: string; from: TransportMode; ms: number }[] = [];
    const irohIds = Object.fromEntries(this.cluster.state.nodes.map((n) => [n.id, n.irohId]));
    for (const id of order) {
      const started = performance.now();
      const node = this.cluster.node(id);
      const from = node.state.mode;
      try {
        await restartInMode(this.cluster, id, {
          mode: op.mode,
          write: (mode, back) =>
            writeNodeMode(
              node.state.configPath,
              mode,
              back ? 'back by the nemesis after a failed restart' : 'by the nemesis',
              irohIds,
            ),
          timeoutMs: this.#options.healthTimeoutMs ?? 30_000,
        });
      } finally {
        await this.#saveState();
      }
      steps.push({ node: id, from, ms: Math.round(performance.now() - started) });
      this.#options.record?.({
        kind: 'restart',
        op,
        detail: { node: id, mode: op.mode, from, healthy: true },
      });
    }
    await this.#saveState();
    return { nodes: order, mode: op.mode, steps };
  }

  /**
   * Keeps the state file of a `lab up` cluster truthful: a started node has a new process id, a mode
   * change a new mode, and the next `lab` command reads them from there.
   */
  #saveState(): Promise<void> {
    return saveLabState(this.cluster, this.#options.stateFile);
  }

  /** Heals the network, resumes paused nodes and starts stopped ones: the cluster as it was. */
  async recoverAll(): Promise<void> {
    await this.apply({ do: 'heal' });
    for (const node of this.cluster.nodes) {
      if (!(await node.isRunning())) {
        await this.apply({ do: 'start', node: node.id });
        continue;
      }
      // Resuming a node that is not stopped is harmless (SIGCONT / docker unpause of a running one fails quietly).
      await release(node.resume());
    }
  }
}

/**
 * Keeps the state file of a `lab up` cluster truthful (a started node's new process, a node's new
 * mode): the next `lab` command reads them from there. Another lab's file is left alone.
 */
export async function saveLabState(cluster: Cluster, file: string | undefined): Promise<void> {
  if (!file) return;
  const saved = await orAbsent(readState(file));
  if (saved?.runId !== cluster.runId) return;
  await writeState(cluster.state, file);
}

/**
 * Restarts one node in `mode`: `write(mode)` rewrites its config, the node stops and starts on its
 * data, and must answer on every transport of the new mode within `timeoutMs`. When it does not start,
 * its old mode is written back (`write(old, true)`) and it is started again, and the error says both.
 */
export async function restartInMode(
  cluster: Cluster,
  id: string,
  change: {
    mode: TransportMode;
    write: (mode: TransportMode, back: boolean) => Promise<void>;
    timeoutMs: number;
  },
): Promise<void> {
  const node = cluster.node(id);
  const from = node.state.mode;
  await change.write(change.mode, false);
  await node.stop();
  node.state.mode = change.mode;
  try {
    await node.start();
  } catch (err) {
    // Leave the node as it was rather than stopped.
    await change.write(from, true);
    node.state.mode = from;
    let back = `${id} is back in ${from} mode`;
    await release(node.start(), (e) => {
      back = `${id} did not start again in ${from} mode either: ${(e as Error).message}`;
    });
    throw new Error(`${id}: restart in ${change.mode} mode: ${(err as Error).message} (${back})`);
  }
  if (!(await nodeAnswers(cluster, id, change.timeoutMs))) {
    throw new Error(
      `${id} does not answer on every transport of ${change.mode} mode within ${change.timeoutMs / 1000} s`,
    );
  }
}

/**
 * Whether the node answers HealthCheck on every transport it serves, through its client link, within
 * `timeoutMs`. Each try uses a new connection (and a new Iroh endpoint): after a node restarts, the
 * lab client's long-lived Iroh endpoint can fail handshakes with it for tens of seconds while a new
 * endpoint connects at once, and the node is what is being asked about here.
 */
export async function nodeAnswers(cluster: Cluster, id: string, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  const targets = await probeTargets(cluster, [`client-${id}`]);
  for (;;) {
    const answers = await Promise.all(targets.map((t) => probeOnce(cluster, t, 2000)));
    if (answers.every((a) => a !== undefined)) return true;
    if (performance.now() > deadline) return false;
    await sleep(200);
  }
}

export type { LinkSide };
