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
  checkRaftSafety,
  checkSingleRun,
  checkSlo,
  checkTasks,
  composeVerdicts,
  DEFAULT_SLO,
  type GuestSampleLike,
  type HistoryEntry,
  type OpRecord,
  type RaftSampleLike,
  type RunEventLike,
  registerLinearizability,
  runChecker,
  type SloThresholds,
  setCompleteness,
  setLinearizability,
  vmLinearizability,
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
}

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
  if (has('vm-'))
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
    // Several checks from one pass; a throw makes them one 'unknown', as runChecker does for one.
    try {
      results.push(...checkRaftSafety(raft, r.events, { convergeMs: QUIET_BOUND_MS }));
    } catch (err) {
      results.push({
        name: 'raft safety',
        valid: 'unknown',
        explanation: `the checker threw: ${(err as Error).message}`,
        evidence: [],
      });
    }
  }
  if (guests.length > 0) {
    results.push(runChecker('vm: a guest never runs on two nodes at once', () => checkSingleRun(guests)));
    results.push(runChecker('vm: no node above its capacity', () => checkCapacity(guests, r.capacity)));
  }
  if (r.availability !== undefined) {
    const budget = r.availability;
    results.push(runChecker('availability', () => checkAvailability(r.history, budget)));
  }
  try {
    results.push(...checkRollouts(r.events));
  } catch (err) {
    results.push({
      name: 'rollouts',
      valid: 'unknown',
      explanation: `the checker threw: ${(err as Error).message}`,
      evidence: [],
    });
  }
  return composeVerdicts(results);
}
