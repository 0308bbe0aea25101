/** The run's judge lists every checker the history calls for, and a broken one decides the verdict. */
import { describe, expect, it } from 'vitest';
import type { OpRecord } from '../../scenarios/checkers/index.ts';
import { judgeRun } from './judge.ts';

const pair = (
  id: number,
  f: string,
  key: string,
  done: Partial<OpRecord>,
  extra: Partial<OpRecord> = {},
): OpRecord[] => [
  { id, process: id, type: 'invoke', f, key, time: id * 10, ...extra, transport: 'grpc' } as OpRecord,
  { id, process: id, type: 'ok', f, key, time: id * 10 + 5, ...done, transport: 'grpc' } as OpRecord,
];

const task = (id: number, output: string) =>
  pair(id, 'task-status', 't1', {
    result: {
      found: true,
      state: 'succeeded',
      node: 'n1',
      output,
      exitCode: 0,
      startedAtMs: 1,
      finishedAtMs: 2,
    },
  });

describe('judgeRun', () => {
  it('lists the task, image and service-level checkers; a task with another task’s output fails the run', () => {
    const history = [
      ...pair(1, 'task-submit', 't1', { result: { accepted: true } }),
      ...task(2, 't1\n'),
      ...pair(
        3,
        'image-share',
        'i1',
        { value: 'aa', result: { hash: 'aa', size: 1, sha256: 'aa', bytes: 1 } },
        { value: 'aa' },
      ),
      ...pair(4, 'image-get', 'i1', { value: 'aa', result: { hash: 'aa', size: 1, sha256: 'aa', bytes: 1 } }),
    ];
    const ok = judgeRun({ registers: [], history, samples: [], events: [], capacity: {} });
    expect(ok.results.map((r) => [r.name, r.valid])).toEqual([
      ['tasks: each runs at most once, its reported result is the one that ran', true],
      ['images: served bytes are the bytes shared', true],
      ['service levels per transport (error rate, p99, recovery after each heal)', true],
    ]);
    const bad = judgeRun({
      registers: [],
      history: [...history, ...task(5, 't2\n')],
      samples: [],
      events: [],
      capacity: {},
    });
    expect(bad.valid).toBe(false);
    expect(bad.explanation).toMatch(/task 't1': succeeded with output "t2\\n"/);
  });

  it("decides by the incident's checks alone, keeping the others as advisory", () => {
    const raft = (t: number, node: string, role: string, term: number) => ({
      kind: 'raft',
      t,
      node,
      ok: true,
      raft: { role, term, commit: 0, applied: 0, digest: '' },
    });
    // n3 restarts and rejoins quietly, but its term went 1 → 0 on the way (Blixard 3eb6411's reset).
    const samples = Array.from({ length: 60 }, (_, i) => i * 1000).flatMap((t) => [
      raft(t, 'n1', 'leader', 1),
      raft(t, 'n2', 'follower', 1),
      raft(t, 'n3', 'follower', t > 6000 && t < 12_000 ? 0 : 1),
    ]);
    const events = [
      { t: 8000, kind: 'restart', op: { do: 'restart', node: 'n3' }, detail: { node: 'n3', ms: 3000 } },
    ];
    const base = { registers: [], history: [], samples, events, capacity: {}, sut: 'blixard-rs' as const };
    const all = judgeRun(base);
    expect(all.valid).toBe(false);
    expect(all.explanation).toMatch(/n3's term went from 1 to 0/);
    const scoped = judgeRun({ ...base, checks: ['leadership'] });
    expect(scoped.valid).toBe(true);
    expect(scoped.explanation).toMatch(
      /^all 2 checkers pass \(outside the incident's checks: .*raft: terms never decrease failed: n3's term went from 1 to 0/,
    );
    expect(scoped.results.filter((r) => r.advisory).map((r) => r.name)).toContain(
      'raft: terms never decrease',
    );
    // A name that covers no checker of the run never lets it pass unjudged.
    const typo = judgeRun({ ...base, checks: ['leadership', 'images'] });
    expect(typo.valid).toBe('unknown');
    expect(typo.explanation).toMatch(/the incident's checks name 'images', and no such checker ran/);
  });
});
