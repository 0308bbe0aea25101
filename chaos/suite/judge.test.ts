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
});
