import { describe, expect, it } from 'vitest';
import { ChunkPlan, type ChunkTask } from './chunk-plan.ts';

function drain(plan: ChunkPlan): ChunkTask[] {
  const out: ChunkTask[] = [];
  for (let t = plan.next(); t; t = plan.next()) out.push(t);
  return out;
}

describe('ChunkPlan', () => {
  it('spreads chunks over holders and finishes when all succeed', () => {
    const plan = new ChunkPlan([0, 1, 2, 3], ['a', 'b'], 4);
    const tasks = drain(plan);
    expect(tasks.map((t) => `${t.index}@${t.holder}`)).toEqual(['0@a', '1@b', '2@a', '3@b']);
    expect(plan.finished).toBe(false);
    for (const t of tasks) plan.succeeded(t);
    expect(plan.finished).toBe(true);
    expect([...plan.done].sort()).toEqual([0, 1, 2, 3]);
  });

  it('asks another holder for a chunk that failed its hash check, never the bad one again', () => {
    const plan = new ChunkPlan([0], ['a', 'b', 'c'], 6);
    const first = plan.next() as ChunkTask;
    expect(first.holder).toBe('a');
    plan.rejected(first);
    const second = plan.next() as ChunkTask;
    expect(second.holder).toBe('b');
    plan.rejected(second);
    const third = plan.next() as ChunkTask;
    expect(third.holder).toBe('c');
    plan.rejected(third);
    expect(plan.next()).toBeUndefined();
    expect([...plan.givenUp]).toEqual([0]);
    expect(plan.finished).toBe(true);
  });

  it('retries an unanswered chunk up to its attempt bound, rotating holders', () => {
    const plan = new ChunkPlan([5], ['a', 'b'], 3);
    const seen: string[] = [];
    for (let t = plan.next(); t; t = plan.next()) {
      seen.push(t.holder);
      plan.failed(t);
    }
    expect(seen).toEqual(['b', 'a', 'b']);
    expect([...plan.givenUp]).toEqual([5]);
  });

  it('a single corrupt holder alongside a good one still completes every chunk', () => {
    const plan = new ChunkPlan([0, 1, 2, 3, 4, 5], ['bad', 'good'], 4);
    let requests = 0;
    for (let t = plan.next(); t && requests < 100; t = plan.next()) {
      requests += 1;
      if (t.holder === 'bad') plan.rejected(t);
      else plan.succeeded(t);
    }
    expect(plan.done.size).toBe(6);
    expect(plan.givenUp.size).toBe(0);
    expect(requests).toBe(9); // 3 good first tries, 3 bad then good
  });

  it('refuses an empty holder list', () => {
    expect(() => new ChunkPlan([0], [], 3)).toThrow(/no holder/);
  });
});
