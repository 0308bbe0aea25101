/** The task checker over hand-written histories and seeded ones from a correct task service, mutated. */
import { describe, expect, it } from 'vitest';
import { pick, seededRandom } from '../../node/lib/index.ts';
import { expectEachFails } from './expect-fails.ts';
import type { OpRecord } from './history.ts';
import { checkTasks } from './tasks.ts';

type Status = Record<string, unknown>;
let nextId = 0;

function submit(key: string, t: number, type: 'ok' | 'fail' | 'info' = 'ok'): OpRecord[] {
  const id = nextId++;
  return [
    { id, process: 0, type: 'invoke', f: 'task-submit', key, time: t },
    {
      id,
      process: 0,
      type,
      f: 'task-submit',
      key,
      time: t + 5,
      ...(type === 'ok' && { result: { accepted: true } }),
    },
  ];
}

function status(key: string, t: number, result: Status): OpRecord[] {
  const id = nextId++;
  return [
    { id, process: 1, type: 'invoke', f: 'task-status', key, time: t },
    { id, process: 1, type: 'ok', f: 'task-status', key, time: t + 5, result },
  ];
}

const done = (key: string, over: Status = {}): Status => ({
  found: true,
  state: 'succeeded',
  node: 'n1',
  output: `${key}\n`,
  exitCode: 0,
  startedAtMs: 1000,
  finishedAtMs: 1100,
  ...over,
});

/**
 * A correct service: each task is placed on one node, runs once (pending → running → succeeded),
 * and reads see its record as of their time. Returns the history in time order.
 */
function simulate(seed: number, tasks = 4, reads = 12): OpRecord[] {
  const random = seededRandom(seed, 'tasks');
  const out: OpRecord[] = [];
  const life = new Map<string, { node: string; submit: number; start: number; finish: number }>();
  for (let i = 0; i < tasks; i++) {
    const key = `t${seed}-${i}`;
    const at = i * 100;
    out.push(...submit(key, at));
    const start = at + 20 + Math.floor(random() * 200);
    life.set(key, {
      node: pick(random, ['n1', 'n2', 'n3']),
      submit: at,
      start,
      finish: start + 1 + Math.floor(random() * 200),
    });
  }
  for (let r = 0; r < reads; r++) {
    const key = pick(random, [...life.keys()]);
    const l = life.get(key) as { node: string; submit: number; start: number; finish: number };
    const t = l.submit + 10 + Math.floor(random() * 600);
    const state = t + 5 < l.start ? 'pending' : t < l.finish ? 'running' : 'succeeded';
    // A read sees a state somewhere in its interval: take the one at its invoke or at its end.
    out.push(
      ...status(key, t, {
        found: true,
        state,
        node: l.node,
        output: state === 'succeeded' ? `${key}\n` : '',
        exitCode: 0,
        startedAtMs: state === 'pending' ? 0 : l.start,
        finishedAtMs: state === 'succeeded' ? l.finish : 0,
      }),
    );
  }
  return out.sort((a, b) => a.time - b.time);
}

/** One way the service could break, applied to a later read of a task seen earlier. */
type Mutation = (r: Status, key: string) => Status;
const MUTATIONS: Record<string, Mutation> = {
  'ran again': (r) => ({
    ...r,
    state: 'succeeded',
    startedAtMs: Number(r.startedAtMs ?? 0) + 5000,
    finishedAtMs: 9999,
  }),
  'placed twice': (r) => ({ ...r, node: r.node === 'n1' ? 'n2' : 'n1' }),
  "another task's result": (r) => ({
    ...r,
    state: 'succeeded',
    output: 'someone-else\n',
    startedAtMs: r.startedAtMs || 1,
  }),
  lost: () => ({ found: false }),
};

function mutateLastRead(history: OpRecord[], m: Mutation): OpRecord[] {
  const reads = history.filter((h) => h.f === 'task-status' && h.type === 'ok');
  // The last read of a task that an earlier read saw started.
  for (let i = reads.length - 1; i >= 0; i--) {
    const r = reads[i] as OpRecord;
    // A second run shows only against a read that saw the first one started.
    const earlier = reads
      .slice(0, i)
      .find((e) => e.key === r.key && e.time < r.time - 10 && Number((e.result as Status).startedAtMs) > 0);
    if (!earlier) continue;
    return history.map((h) => (h === r ? { ...h, result: m(h.result as Status, h.key) } : h));
  }
  throw new Error('no started task read twice');
}

describe('tasks checker', () => {
  it('passes correct runs (hand-written and seeded)', () => {
    const h = [
      ...submit('a', 0),
      ...status('a', 10, { found: true, state: 'pending', node: 'n1', startedAtMs: 0 }),
      ...status('a', 50, done('a')),
      ...status('a', 90, done('a')),
    ];
    expect(checkTasks(h).valid).toBe(true);
    for (let seed = 1; seed <= 30; seed++)
      expect(checkTasks(simulate(seed)), `seed ${seed}`).toMatchObject({ valid: true });
    // A run cut by a restart fails, keeping its start: not a second run.
    const cut = [
      ...submit('b', 0),
      ...status('b', 10, done('b', { state: 'running', output: '', finishedAtMs: 0 })),
      ...status('b', 50, done('b', { state: 'failed', output: '', exitCode: -1 })),
    ];
    expect(checkTasks(cut).valid).toBe(true);
  });

  it('hand-written faults, each named', () => {
    const cases: [OpRecord[], RegExp][] = [
      [
        [
          ...submit('a', 0),
          ...status('a', 10, done('a')),
          ...status('a', 50, done('a', { startedAtMs: 2000, finishedAtMs: 2100 })),
        ],
        /started at 1000, then reported as started at 2000: run again/,
      ],
      [[...submit('a', 0), ...status('a', 10, done('a', { output: 'b\n' }))], /succeeded with output "b\\n"/],
      [
        [...submit('a', 0), ...status('a', 10, done('a')), ...status('a', 50, done('a', { node: 'n2' }))],
        /placed on n1 and n2/,
      ],
      [[...submit('a', 0), ...status('a', 10, { found: false })], /acknowledged, then not found/],
      [[...submit('a', 0, 'fail'), ...status('a', 10, done('a'))], /only submission certainly failed/],
      [
        [
          ...submit('a', 0),
          ...status('a', 10, done('a')),
          ...status('a', 50, done('a', { state: 'running', finishedAtMs: 0 })),
        ],
        /went back from succeeded to running/,
      ],
      [
        [
          ...submit('a', 0),
          ...status('a', 10, done('a', { state: 'failed', exitCode: 1, output: '' })),
          ...status('a', 50, done('a', { state: 'failed', exitCode: 2, output: '' })),
        ],
        /finished, then a later read reported another result/,
      ],
    ];
    expectEachFails(checkTasks, cases);
  });

  it('catches every generated fault', () => {
    for (const [what, m] of Object.entries(MUTATIONS)) {
      for (let seed = 1; seed <= 20; seed++) {
        const r = checkTasks(mutateLastRead(simulate(seed), m));
        expect(r.valid, `${what}, seed ${seed}: ${r.explanation}`).toBe(false);
      }
    }
  });

  it('an unknown submission may or may not have happened; nothing read back is unknown', () => {
    expect(checkTasks([...submit('a', 0, 'info'), ...status('a', 10, done('a'))]).valid).toBe(true);
    expect(checkTasks([...submit('a', 0, 'info'), ...status('a', 10, { found: false })]).valid).toBe(true);
    expect(checkTasks(submit('a', 0)).valid).toBe('unknown');
  });
});
