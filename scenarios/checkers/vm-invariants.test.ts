/** VM invariants over hand-made guest samples. */
import { describe, expect, it } from 'vitest';
import { checkCapacity, checkSingleRun, type GuestSampleLike } from './vm-invariants.ts';

const g = (vm: string, pid: number) => ({ vm, pid, vcpus: 1, memoryMb: 16 });
const at = (t: number, node: string, guests: ReturnType<typeof g>[]): GuestSampleLike => ({
  kind: 'guests',
  t,
  node,
  ok: true,
  guests,
});

/** vm a runs on n1, then migrates: n1 stops it (t=1000), n2 boots it (t=1300). */
function migration(): GuestSampleLike[] {
  return [
    at(0, 'n1', [g('a', 10)]),
    at(100, 'n2', []),
    at(500, 'n1', [g('a', 10)]),
    at(600, 'n2', []),
    at(1000, 'n1', []),
    at(1100, 'n2', []),
    at(1500, 'n1', []),
    at(1600, 'n2', [g('a', 20)]),
    at(2000, 'n1', []),
    at(2100, 'n2', [g('a', 20)]),
  ];
}

describe('vm invariants', () => {
  it('a migration that hands over passes', () => {
    expect(checkSingleRun(migration()).valid).toBe(true);
  });

  it('a guest on a second node while the first still runs it is a double run', () => {
    const samples = [...migration(), at(300, 'n3', [g('a', 99)])];
    const r = checkSingleRun(samples);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/vm 'a' ran on n1 \(pid 10 from 0 to 500 ms\) and on n3 at 300 ms/);
  });

  it('a guest seen once only proves nothing', () => {
    expect(checkSingleRun([at(0, 'n1', [g('a', 1)]), at(10, 'n2', [g('a', 2)])]).valid).toBe('unknown');
    expect(checkSingleRun([{ kind: 'guests', t: 0, node: 'n1', ok: false }]).valid).toBe('unknown');
    // No VM at all (a run without the VM workload): nothing that could break.
    expect(checkSingleRun([at(0, 'n1', []), at(500, 'n1', [])]).valid).toBe(true);
  });

  it('capacity', () => {
    const cap = { n1: { vcpus: 2, memoryMb: 100 }, n2: { vcpus: 2, memoryMb: 100 } };
    expect(checkCapacity(migration(), cap).valid).toBe(true);
    const r = checkCapacity([at(0, 'n1', [g('a', 1), g('b', 2), g('c', 3)])], cap);
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/n1 ran 3 guests using 3 vCPUs and 48 MB/);
    expect(checkCapacity(migration(), {}).valid).toBe('unknown');
  });
});
