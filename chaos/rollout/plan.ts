/**
 * A rollout's plan, pure: the order nodes are reached in (given, or drawn from the seed), which nodes
 * each step reaches, what every node's settings are after each step, and — node by node inside a step,
 * as the changes are made — whether every pair of nodes can still talk. A state in which they cannot
 * is refused before anything changes, naming the step, the node and why.
 */
import type { NodeSettings } from '../../lab/topology/index.ts';
import { seededRandom } from '../../node/lib/index.ts';
import {
  defaultStrategy,
  type MigrationStrategy,
  SERVICE_GROUPS,
  type ServiceGroup,
  strategyFromFile,
} from '../../node/transport/index.ts';
import { type Gates, gatesOf, type NodeSelector, type RolloutFile, type RolloutStep } from './file.ts';

export type Settings = NodeSettings;

/** One node's change in a step: restarted when its mode changes, else reloaded in place. */
export interface NodeChange {
  node: string;
  from: Settings;
  to: Settings;
  restart: boolean;
}

export interface PlannedStep {
  index: number;
  name: string;
  /** The nodes this step reaches (in the rollout's order). */
  nodes: string[];
  /** Every node's settings once the step is in place. */
  target: Record<string, Settings>;
  /** The changes that take the cluster from the previous step's target to this one, in order. */
  changes: NodeChange[];
  watchMs: number;
  gates: Gates;
}

export interface RolloutPlan {
  order: string[];
  initial: Record<string, Settings>;
  steps: PlannedStep[];
}

export class RolloutPlanError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`rollout ${source} cannot run on this cluster:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RolloutPlanError';
    this.problems = problems;
  }
}

/** The order nodes are reached in: the file's `order` (every node once), else a shuffle from its seed. */
export function nodeOrder(rollout: Pick<RolloutFile, 'order' | 'seed'>, nodes: readonly string[]): string[] {
  if (rollout.order) return [...rollout.order];
  const random = seededRandom(rollout.seed, 'rollout', 'order');
  const out = [...nodes];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as string, out[i] as string];
  }
  return out;
}

/** How many nodes `25%` of `n` is: rounded up, at least one. */
export function percentOf(percent: number, n: number): number {
  return Math.max(1, Math.min(n, Math.ceil((percent * n) / 100 - 1e-9)));
}

/** The nodes a selector reaches, in rollout order; a problem (text) when it cannot. */
export function selectNodes(selector: NodeSelector, order: readonly string[]): string[] | string {
  if (selector === 'all') return [...order];
  if (typeof selector === 'number') {
    if (selector > order.length) return `${selector} nodes asked of a ${order.length}-node cluster`;
    return order.slice(0, selector);
  }
  if (typeof selector === 'string')
    return order.slice(0, percentOf(Number(selector.slice(0, -1)), order.length));
  const unknown = selector.filter((n) => !order.includes(n));
  if (unknown.length > 0) return `no node ${unknown.join(', ')} in a ${order.length}-node cluster`;
  return order.filter((n) => selector.includes(n));
}

/** A node's settings after a step's change; a problem (text) when the change contradicts itself. */
export function applyChange(s: Settings, step: RolloutStep): Settings | string {
  const mode = step.mode ?? s.mode;
  const strategy: MigrationStrategy = {
    preferIroh: step.prefer_iroh ?? s.strategy.preferIroh,
    raftTransport:
      step.raft_transport !== undefined
        ? strategyFromFile({ prefer_iroh: [], raft_transport: step.raft_transport, fallback_to_grpc: false })
            .raftTransport
        : s.strategy.raftTransport,
    fallbackToGrpc: step.fallback_to_grpc ?? s.strategy.fallbackToGrpc,
  };
  if (mode === 'grpc') {
    if ((step.prefer_iroh?.length ?? 0) > 0 || (step.raft_transport ?? 'grpc') !== 'grpc')
      return 'mode grpc serves no Iroh: prefer_iroh must be empty and raft_transport grpc';
    // A node going to gRPC takes every group with it.
    return { mode, strategy: { ...defaultStrategy('grpc'), fallbackToGrpc: strategy.fallbackToGrpc } };
  }
  return { mode, strategy };
}

/** Groups a dual node sends over gRPC (the rest go over Iroh). */
function grpcGroups(s: MigrationStrategy): ServiceGroup[] {
  return SERVICE_GROUPS.filter((g) =>
    g === 'raft' ? s.raftTransport !== 'iroh' : !s.preferIroh.includes(g),
  );
}

/**
 * Why these nodes cannot all talk to each other, pair by pair (empty: they can). A node's peers are
 * given the addresses of what the node itself speaks, so a dual node calls each group over the
 * transport its strategy names, whatever the peer serves.
 */
export function incompatibilities(settings: Readonly<Record<string, Settings>>): string[] {
  const out: string[] = [];
  const ids = Object.keys(settings).sort();
  for (const a of ids) {
    for (const b of ids) {
      if (a === b) continue;
      const sa = settings[a] as Settings;
      const sb = settings[b] as Settings;
      const modes = [sa.mode, sb.mode].sort().join('+');
      if (modes === 'grpc+iroh') {
        const [g, i] = sa.mode === 'grpc' ? [a, b] : [b, a];
        if (a < b) out.push(`${g} (grpc) and ${i} (iroh) share no transport: every call between them fails`);
      } else if (sa.mode === 'dual' && sb.mode === 'iroh') {
        const over = grpcGroups(sa.strategy);
        if (over.length > 0)
          out.push(`${a} (dual) sends ${over.join(', ')} over gRPC, which ${b} (iroh) does not serve`);
      } else if (sa.mode === 'dual' && sb.mode === 'grpc' && !sa.strategy.fallbackToGrpc) {
        const over = SERVICE_GROUPS.filter((g) => !grpcGroups(sa.strategy).includes(g));
        if (over.length > 0)
          out.push(
            `${a} (dual) sends ${over.join(', ')} over Iroh, which ${b} (grpc) does not serve, and does not fall back to gRPC`,
          );
      }
    }
  }
  return out;
}

/**
 * The whole plan from the cluster's current settings. Throws RolloutPlanError listing every problem:
 * a selector the cluster cannot satisfy, a change that contradicts itself, or a state — after any one
 * node's change — in which two nodes cannot talk.
 */
export function planRollout(
  rollout: RolloutFile & { source?: string },
  initial: Readonly<Record<string, Settings>>,
): RolloutPlan {
  const ids = Object.keys(initial).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const problems: string[] = [];
  if (rollout.order) {
    const missing = ids.filter((n) => !rollout.order?.includes(n));
    const unknown = rollout.order.filter((n) => !ids.includes(n));
    if (missing.length > 0 || unknown.length > 0 || new Set(rollout.order).size !== rollout.order.length)
      problems.push(`order: must name every node of the cluster once (${ids.join(', ')})`);
  }
  const order = problems.length > 0 ? ids : nodeOrder(rollout, ids);
  const start = incompatibilities(initial);
  if (start.length > 0) problems.push(...start.map((p) => `the cluster as it is: ${p}`));
  const steps: PlannedStep[] = [];
  let current: Record<string, Settings> = { ...initial };
  rollout.steps.forEach((step, index) => {
    const where = `steps[${index}]`;
    const nodes = selectNodes(step.nodes, order);
    if (typeof nodes === 'string') {
      problems.push(`${where}.nodes: ${nodes}`);
      return;
    }
    const target = { ...current };
    const changes: NodeChange[] = [];
    for (const node of nodes) {
      const from = current[node] as Settings;
      const to = applyChange(from, step);
      if (typeof to === 'string') {
        problems.push(`${where}: ${to}`);
        return;
      }
      target[node] = to;
      if (!sameSettings(from, to)) changes.push({ node, from, to, restart: from.mode !== to.mode });
    }
    // The cluster passes through each state as the nodes change one by one (and back, on a rollback).
    const passing = { ...current };
    for (const change of changes) {
      passing[change.node] = change.to;
      for (const p of incompatibilities(passing))
        problems.push(`${where}: once ${change.node} has changed: ${p}`);
    }
    steps.push({
      index,
      name: step.name ?? `step ${index + 1}`,
      nodes,
      target,
      changes,
      watchMs: step.watch ?? rollout.watch,
      gates: gatesOf(rollout, step),
    });
    current = target;
  });
  if (problems.length > 0) throw new RolloutPlanError(rollout.source ?? '<inline>', [...new Set(problems)]);
  return { order, initial: { ...initial }, steps };
}

export function sameSettings(a: Settings, b: Settings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The changes that take the cluster from step `from`'s target back to the one before it, in reverse. */
export function rollbackChanges(step: PlannedStep): NodeChange[] {
  return [...step.changes]
    .reverse()
    .map((c) => ({ node: c.node, from: c.to, to: c.from, restart: c.restart }));
}
