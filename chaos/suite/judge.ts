/**
 * The run's judges, composed as Jepsen's: every checker over what the run recorded — the history
 * (registers, sets, VMs), the samples (Raft safety, VM invariants) and the events — each answering
 * true, false or 'unknown' with its explanation and evidence. The run's verdict is the worst of them;
 * a checker that throws is 'unknown', never a pass.
 */
import {
  type CheckerResult,
  type ComposedVerdict,
  checkAvailability,
  checkCapacity,
  checkImages,
  checkLeaderFailover,
  checkOneLeaderPerTerm,
  checkRaftSafety,
  checkRestartElectsNobody,
  checkRestartedFollowerRejoins,
  checkSingleRun,
  checkSlo,
  checkTasks,
  checkTermMonotonic,
  composeVerdicts,
  DEFAULT_SLO,
  type GuestSampleLike,
  type HistoryEntry,
  type OpRecord,
  type RaftSampleLike,
  type RunEventLike,
  registerLinearizability,
  restartsToJudge,
  runChecker,
  type SloThresholds,
  scopeResults,
  setCompleteness,
  setLinearizability,
  vmLinearizability,
  vmRegistryLinearizability,
} from '../../scenarios/checkers/index.ts';
import { checkRollouts } from '../rollout/index.ts';
import { QUIET_BOUND_MS } from './quiet-tail.ts';

export interface RunRecordings {
  /** Register ops as the register checker reads them (a failed CAS's value as a read). */
  registers: readonly HistoryEntry[];
  /** Every workload's ops. */
  history: readonly OpRecord[];
  samples: readonly (RaftSampleLike | GuestSampleLike)[];
  events: readonly RunEventLike[];
  /** Each node's VM capacity, from its config. */
  capacity: Readonly<Record<string, { vcpus: number; memoryMb: number }>>;
  /** The incident's service levels (default: DEFAULT_SLO). */
  slo?: SloThresholds | undefined;
  /** The incident's availability budget (share of register ops that must succeed), when it sets one. */
  availability?: number | undefined;
  /** The system under test (default the reference node): what its API can feed decides the checkers. */
  sut?: 'reference' | 'blixard-rs' | undefined;
  /**
   * The incident's `checks:` (families or checker names): only these decide the verdict; every other
   * checker still runs and is kept as advisory. All decide when it is not given.
   */
  checks?: readonly string[] | undefined;
}

/**
 * What the real Blixard's API cannot feed, so no checker runs on it (its status has leader and term,
 * no commit or applied index and no state digest; its VM records follow another lifecycle; the lab
 * sees no guest processes of its mock backend).
 */
export const NOT_CHECKABLE_ON_BLIXARD = [
  'raft: commit index never decreases (the status has no commit index)',
  'raft: same applied index, same state digest (no applied index, no digest)',
  'raft: nodes converge after the heal (no applied index, no digest)',
  "vms: each record's lifecycle linearizable (Blixard's lifecycle is not the reference node's; the registry is checked)",
  'vm: a guest never runs on two nodes at once, no node above its capacity (the mock backend runs no guest process)',
  'registers, sets, tasks, images (no such API over its CLI)',
] as const;

export function judgeRun(r: RunRecordings): ComposedVerdict {
  const results: CheckerResult[] = [];
  const has = (prefix: string) => r.history.some((h) => typeof h.f === 'string' && h.f.startsWith(prefix));
  if (r.registers.length > 0)
    results.push(runChecker('registers: linearizable', () => registerLinearizability(r.registers)));
  if (has('set-')) {
    results.push(runChecker('sets: linearizable', () => setLinearizability(r.history)));
    results.push(
      runChecker('sets: every acknowledged add read, nothing unknown read', () => setCompleteness(r.history)),
    );
  }
  const blixard = r.sut === 'blixard-rs';
  if (has('vm-') && blixard)
    results.push(
      runChecker("vms: each name's existence linearizable", () => vmRegistryLinearizability(r.history)),
    );
  else if (has('vm-'))
    results.push(runChecker('vms: each record linearizable', () => vmLinearizability(r.history)));
  if (has('task-'))
    results.push(
      runChecker('tasks: each runs at most once, its reported result is the one that ran', () =>
        checkTasks(r.history),
      ),
    );
  if (has('image-'))
    results.push(runChecker('images: served bytes are the bytes shared', () => checkImages(r.history)));
  results.push(
    runChecker('service levels per transport (error rate, p99, recovery after each heal)', () =>
      checkSlo(r.history, r.events, r.slo ?? DEFAULT_SLO),
    ),
  );
  const raft = r.samples.filter((s) => (s as { kind?: string }).kind === 'raft') as RaftSampleLike[];
  const guests = r.samples.filter((s) => (s as { kind?: string }).kind === 'guests') as GuestSampleLike[];
  if (raft.length > 0) {
    results.push(
      ...runChecks('raft safety', () =>
        blixard
          ? [checkOneLeaderPerTerm(raft), checkTermMonotonic(raft)]
          : checkRaftSafety(raft, r.events, { convergeMs: QUIET_BOUND_MS }),
      ),
    );
  }
  // Leadership under faults, where the run had the fault each one is about.
  const has2 = (kind: string, f: (e: RunEventLike) => boolean) =>
    r.events.some((e) => e.kind === kind && f(e));
  if (
    raft.length > 0 &&
    has2('fault', (e) => e.op?.do === 'partition' && (e.op as { kind?: string }).kind === 'leader')
  )
    results.push(
      runChecker('leadership: a partitioned leader is replaced', () => checkLeaderFailover(raft, r.events)),
    );
  if (raft.length > 0 && restartsToJudge(r.events).length > 0) {
    results.push(
      runChecker("leadership: a follower's restart elects nobody", () =>
        checkRestartElectsNobody(raft, r.events),
      ),
    );
    results.push(
      runChecker('leadership: a restarted follower follows the leader again', () =>
        checkRestartedFollowerRejoins(raft, r.events),
      ),
    );
  }
  if (guests.length > 0 && !blixard) {
    results.push(runChecker('vm: a guest never runs on two nodes at once', () => checkSingleRun(guests)));
    results.push(runChecker('vm: no node above its capacity', () => checkCapacity(guests, r.capacity)));
  }
  if (r.availability !== undefined) {
    const budget = r.availability;
    results.push(runChecker('availability', () => checkAvailability(r.history, budget)));
  }
  results.push(...runChecks('rollouts', () => checkRollouts(r.events)));
  return composeVerdicts(r.checks ? scopeResults(results, r.checks) : results);
}

/** Several checks from one pass; a throw makes them one 'unknown', as runChecker does for one. */
function runChecks(name: string, checks: () => CheckerResult[]): CheckerResult[] {
  try {
    return checks();
  } catch (err) {
    return [
      { name, valid: 'unknown', explanation: `the checker threw: ${(err as Error).message}`, evidence: [] },
    ];
  }
}
