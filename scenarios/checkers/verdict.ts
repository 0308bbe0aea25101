/**
 * Checker results and their composition, as Jepsen composes checkers: a run's verdict is the worst
 * of all its checkers' (false < unknown < true). A checker that throws, or answers something that
 * is not a verdict, is `unknown` with the error, never a pass; no checker at all is `unknown` too.
 */
import type { HistoryEntry, OpRecord } from './history.ts';
import { registerModel, registerOperations } from './register-model.ts';
import {
  type Counterexample,
  checkOperations,
  renderCounterexample,
  type SearchOptions,
  type SearchResult,
  type Validity,
  worst,
} from './search.ts';
import { checkSet, makeSetModel, setOperations } from './set-model.ts';
import { vmModel, vmOperations } from './vm-model.ts';
import { vmRegistryModel } from './vm-registry-model.ts';

export interface CheckerResult {
  name: string;
  valid: Validity;
  explanation: string;
  /** What the verdict rests on (JSON-safe): counterexamples, the samples or ops that broke it, sizes. */
  evidence: unknown;
  /**
   * Run and shown, but outside the checks the incident names (`checks:`): it does not decide the
   * verdict. A field incident asks one question; what else the run found stays on record beside it.
   */
  advisory?: true | undefined;
}

export interface ComposedVerdict {
  valid: Validity;
  /** One line: the worst checkers and why. */
  explanation: string;
  results: CheckerResult[];
}

/** Runs one checker; a throw or a malformed answer becomes `unknown` with the error as evidence. */
export function runChecker(name: string, check: () => Omit<CheckerResult, 'name'>): CheckerResult {
  try {
    const r = check();
    if (
      r === null ||
      typeof r !== 'object' ||
      !(r.valid === true || r.valid === false || r.valid === 'unknown')
    )
      return {
        name,
        valid: 'unknown',
        explanation: `${name}: the checker answered no verdict (valid: ${JSON.stringify((r as { valid?: unknown } | null)?.valid)})`,
        evidence: { answer: String(r) },
      };
    return { name, valid: r.valid, explanation: String(r.explanation ?? ''), evidence: r.evidence ?? null };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      name,
      valid: 'unknown',
      explanation: `${name}: the checker failed: ${message}`,
      evidence: { error: message, stack: err instanceof Error ? err.stack : undefined },
    };
  }
}

/** The worst of all results; the explanation names the checkers that decided it. */
export function composeVerdicts(results: readonly CheckerResult[]): ComposedVerdict {
  const counted = results.filter((r) => !r.advisory);
  if (counted.length === 0) return { valid: 'unknown', explanation: 'no checker ran', results: [...results] };
  const valid = counted.reduce<Validity>((v, r) => worst(v, r.valid), true);
  const aside = advisoryNote(results);
  if (valid === true)
    return { valid, explanation: `all ${counted.length} checkers pass${aside}`, results: [...results] };
  const deciding = counted.filter((r) => r.valid === valid);
  const explanation = `${valid === false ? 'failed' : 'undecided'}: ${deciding.map((r) => r.explanation || r.name).join('; ')}${aside}`;
  return { valid, explanation, results: [...results] };
}

/** What the advisory checkers found that is not a pass, for the verdict's one line. */
function advisoryNote(results: readonly CheckerResult[]): string {
  const found = results.filter((r) => r.advisory && r.valid !== true);
  if (found.length === 0) return '';
  return ` (outside the incident's checks: ${found.map((r) => `${r.name} ${r.valid === false ? 'failed' : 'undecided'}: ${r.explanation}`).join('; ')})`;
}

/** A linearizability search's result as a checker result: sizes, undecided partitions, counterexamples. */
export function searchEvidence(result: SearchResult): unknown {
  return {
    model: result.model,
    ops: result.ops,
    open: result.open,
    partitions: result.partitions.length,
    undecided: result.partitions
      .filter((p) => p.valid === 'unknown')
      .map((p) => ({ key: p.key, ops: p.ops, open: p.open, steps: p.steps })),
    failed: result.partitions
      .filter((p) => p.valid === false)
      .map((p) => ({ key: p.key, ops: p.ops, open: p.open, counterexample: p.counterexample ?? null })),
  };
}

function fromSearch(result: SearchResult): Omit<CheckerResult, 'name'> {
  return { valid: result.valid, explanation: result.explanation, evidence: searchEvidence(result) };
}

/** Linearizability of the history's registers (read, write, cas per key). */
export function registerLinearizability(
  history: readonly HistoryEntry[],
  options: SearchOptions = {},
): Omit<CheckerResult, 'name'> {
  return fromSearch(checkOperations(registerModel, registerOperations(history), options));
}

/** Linearizability of the history's set ops (adds and reads, per key). */
export function setLinearizability(
  history: readonly OpRecord[],
  options: SearchOptions = {},
): Omit<CheckerResult, 'name'> {
  return fromSearch(checkOperations(makeSetModel(), setOperations(history), options));
}

/** Lost acknowledged adds and unexpected elements of the history's sets. */
export function setCompleteness(history: readonly OpRecord[]): Omit<CheckerResult, 'name'> {
  const r = checkSet(history);
  const evidence = r.keys.filter((k) => k.lost.length > 0 || k.unexpected.length > 0 || !k.finalRead);
  return { valid: r.valid, explanation: r.explanation, evidence: { keys: r.keys.length, notable: evidence } };
}

/** Linearizability of each VM's record (its lifecycle as a state machine). */
export function vmLinearizability(
  history: readonly OpRecord[],
  options: SearchOptions = {},
): Omit<CheckerResult, 'name'> {
  return fromSearch(checkOperations(vmModel, vmOperations(history), options));
}

/** Linearizability of each VM name's existence (the registry), whatever its lifecycle. */
export function vmRegistryLinearizability(
  history: readonly OpRecord[],
  options: SearchOptions = {},
): Omit<CheckerResult, 'name'> {
  return fromSearch(checkOperations(vmRegistryModel, vmOperations(history), options));
}

/**
 * A verdict in readable form (what `lab verdict` prints): the run's verdict, then each checker's, with
 * the counterexamples of failed linearizability checks.
 */
export function renderVerdict(verdict: ComposedVerdict): string {
  const mark = (v: Validity) => (v === true ? 'pass   ' : v === false ? 'FAIL   ' : 'UNKNOWN');
  const lines = [`verdict: ${mark(verdict.valid).trim()} — ${verdict.explanation}`];
  for (const r of verdict.results) {
    lines.push(`  ${mark(r.valid)} ${r.advisory ? '(advisory) ' : ''}${r.name}: ${r.explanation}`);
    const failed = (r.evidence as { failed?: { counterexample?: Counterexample | null }[] } | null)?.failed;
    for (const f of Array.isArray(failed) ? failed : [])
      if (f.counterexample)
        lines.push(
          ...renderCounterexample(f.counterexample)
            .split('\n')
            .map((line) => `      ${line}`),
        );
  }
  return lines.join('\n');
}
