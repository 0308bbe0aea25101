import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './history.ts';
import {
  type CheckerResult,
  composeVerdicts,
  registerLinearizability,
  renderVerdict,
  runChecker,
} from './verdict.ts';

const result = (name: string, valid: CheckerResult['valid']): CheckerResult => ({
  name,
  valid,
  explanation: `${name} says ${String(valid)}`,
  evidence: null,
});

describe("a run's verdict is the worst of its checkers' (false < unknown < true)", () => {
  it('passes only when every checker passes', () => {
    expect(composeVerdicts([result('a', true), result('b', true)]).valid).toBe(true);
    expect(composeVerdicts([result('a', true), result('b', 'unknown')]).valid).toBe('unknown');
    const failed = composeVerdicts([result('a', 'unknown'), result('b', false), result('c', true)]);
    expect(failed.valid).toBe(false);
    expect(failed.explanation).toBe('failed: b says false');
    expect(failed.results.map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  it('is unknown, not a pass, when no checker ran', () => {
    expect(composeVerdicts([]).valid).toBe('unknown');
  });

  it('makes a checker that throws unknown with its error, never a pass', () => {
    const thrown = runChecker('raft', () => {
      throw new Error('samples.jsonl line 3: not JSON');
    });
    expect(thrown).toMatchObject({
      name: 'raft',
      valid: 'unknown',
      explanation: 'raft: the checker failed: samples.jsonl line 3: not JSON',
    });
    expect(composeVerdicts([result('a', true), thrown]).valid).toBe('unknown');
  });

  it('makes a checker that answers no verdict unknown', () => {
    const odd = runChecker('odd', () => ({ valid: 'yes' as never, explanation: '', evidence: null }));
    expect(odd.valid).toBe('unknown');
    expect(odd.explanation).toMatch(/answered no verdict \(valid: "yes"\)/);
  });

  it('carries a checker result with its evidence (a register counterexample, JSON-safe)', () => {
    const at = (time: number, e: Partial<HistoryEntry>): HistoryEntry =>
      ({ id: 0, process: 0, key: 'x', node: 'n1', transport: 'grpc', time, ...e }) as HistoryEntry;
    const history = [
      at(1, { id: 1, type: 'invoke', f: 'write', value: 'a' }),
      at(2, { id: 1, type: 'ok', f: 'write', value: 'a' }),
      at(3, { id: 2, type: 'invoke', f: 'read', process: 1 }),
      at(4, { id: 2, type: 'ok', f: 'read', value: 'b', process: 1 }),
    ];
    const r = runChecker('linearizable-registers', () => registerLinearizability(history));
    expect(r.valid).toBe(false);
    const evidence = JSON.parse(JSON.stringify(r.evidence)) as {
      failed: { key: string; counterexample: { breaking: { id: number } } }[];
    };
    expect(evidence.failed[0]?.key).toBe('x');
    expect(evidence.failed[0]?.counterexample.breaking.id).toBe(2);
    const text = renderVerdict(composeVerdicts([r, result('sets', true)]));
    expect(text.split('\n').slice(0, 4)).toEqual([
      "verdict: FAIL — failed: register: key 'x' is not linearizable: op 2 p1 read x → 'b' [3, 4] cannot be placed; the window that cannot be ordered is op 1 p0 write x := 'a' [1, 2]; op 2 p1 read x → 'b' [3, 4]",
      "  FAIL    linearizable-registers: register: key 'x' is not linearizable: op 2 p1 read x → 'b' [3, 4] cannot be placed; the window that cannot be ordered is op 1 p0 write x := 'a' [1, 2]; op 2 p1 read x → 'b' [3, 4]",
      "      partition 'x': linearizable until op 2 p1 read x → 'b' [3, 4] completed (a prefix of 2 ops)",
      '        ops that cannot be ordered (2):',
    ]);
    expect(text).toContain('  pass    sets: sets says true');
  });
});
