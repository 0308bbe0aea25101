/**
 * Linearizability of per-key registers (pure): the recorded history's ops checked against the
 * register/CAS model by the search in `search.ts`, each key on its own. Failed ops did not happen and
 * are dropped (a cas refused with the register's current value stays, as a read); ops with an
 * unknown outcome (info) may have taken effect at any time after their invoke, or never.
 */
import type { HistoryEntry } from './history.ts';
import { type RegisterOp, registerModel, registerOperations } from './register-model.ts';
import { type Counterexample, checkOperations, type SearchOptions, type SearchResult } from './search.ts';

export { INITIAL_VALUE } from './register-model.ts';

export interface KeyVerdict {
  key: string;
  ok: boolean;
  /** Ops checked for this key, and how many have an unknown outcome. */
  ops: number;
  open: number;
  /** The search gave up (budget spent): neither proven nor refuted. */
  unknown?: boolean | undefined;
  counterexample?: Counterexample | undefined;
}

export interface LinearizabilityVerdict {
  valid: boolean | 'unknown';
  keys: KeyVerdict[];
  /** Human summary: the failing key and its window, or the undecided keys with their size. */
  explanation?: string | undefined;
  result: SearchResult;
}

export type CheckOptions = SearchOptions;

/** The register ops of a history (see `registerOperations`). */
export function operationsOf(history: readonly HistoryEntry[]): RegisterOp[] {
  return registerOperations(history);
}

export function checkLinearizable(
  history: readonly HistoryEntry[],
  options: CheckOptions = {},
): LinearizabilityVerdict {
  const result = checkOperations(registerModel, registerOperations(history), options);
  const keys = result.partitions.map(
    (p): KeyVerdict => ({
      key: p.key,
      ok: p.valid === true,
      ops: p.ops,
      open: p.open,
      unknown: p.valid === 'unknown' ? true : undefined,
      counterexample: p.counterexample,
    }),
  );
  return {
    valid: result.valid,
    keys,
    explanation: result.valid === true ? undefined : result.explanation,
    result,
  };
}
