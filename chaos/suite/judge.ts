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
  checkRaftSafety,
  checkSingleRun,
  composeVerdicts,
  type GuestSampleLike,
  type HistoryEntry,
  type OpRecord,
  type RaftSampleLike,
  type RunEventLike,
  registerLinearizability,
  runChecker,
  setCompleteness,
  setLinearizability,
  vmLinearizability,
} from '../../scenarios/checkers/index.ts';
import { checkRollouts } from '../rollout/index.ts';

export interface RunRecordings {
  /** Register ops as the register checker reads them (a failed CAS's value as a read). */
  registers: readonly HistoryEntry[];
  /** Every workload's ops. */
  history: readonly OpRecord[];
  samples: readonly (RaftSampleLike | GuestSampleLike)[];
  events: readonly RunEventLike[];
  /** Each node's VM capacity, from its config. */
  capacity: Readonly<Record<string, { vcpus: number; memoryMb: number }>>;
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
  const raft = r.samples.filter((s) => (s as { kind?: string }).kind === 'raft') as RaftSampleLike[];
  const guests = r.samples.filter((s) => (s as { kind?: string }).kind === 'guests') as GuestSampleLike[];
  if (raft.length > 0) {
    results.push(...runChecks('raft safety', () => checkRaftSafety(raft, r.events)));
  }
  if (guests.length > 0) {
    results.push(runChecker('vm: a guest never runs on two nodes at once', () => checkSingleRun(guests)));
    results.push(runChecker('vm: no node above its capacity', () => checkCapacity(guests, r.capacity)));
  }
  if (r.availability !== undefined) {
    const budget = r.availability;
    results.push(runChecker('availability', () => checkAvailability(r.history, budget)));
  }
  results.push(...runChecks('rollouts', () => checkRollouts(r.events)));
  return composeVerdicts(results);
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
