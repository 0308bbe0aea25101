import { describe, expect, it } from 'vitest';
import { type RandomSimulationReport, runRandomSimulation } from './random-simulation.ts';

/**
 * Many seeded random runs, each checking Raft's safety after every event and liveness after the
 * faults heal. RAFT_SIM_SEEDS sets how many seeds (default 200); RAFT_SIM_SEED replays one.
 */
const replay = process.env.RAFT_SIM_SEED;
const count = Number(process.env.RAFT_SIM_SEEDS ?? 200);
const seeds = replay !== undefined ? [Number(replay)] : Array.from({ length: count }, (_, i) => i + 1);

describe('raft simulation', () => {
  it.each(seeds)('seed %i stays safe under faults and makes progress once healed', (seed) => {
    try {
      const report = runRandomSimulation(seed);
      expect(report.recoveredInMs).toBeGreaterThan(0);
      if (replay !== undefined) console.log(JSON.stringify(report));
    } catch (err) {
      if (err instanceof Error) {
        err.message = `seed ${seed}: ${err.message}\n\nreplay: RAFT_SIM_SEED=${seed} npx vitest run node/raft/sim\n`;
      }
      throw err;
    }
  });

  it('is deterministic: the same seed gives the same run', () => {
    expect(runRandomSimulation(7)).toEqual(runRandomSimulation(7));
  });

  it('exercises what it claims to: elections, writes, reads, snapshots, restarts, membership changes', () => {
    const reports = Array.from({ length: 16 }, (_, i) => runRandomSimulation(i + 1));
    const total = (key: Exclude<keyof RandomSimulationReport, 'seed'>) =>
      reports.reduce((n, r) => n + r[key], 0);
    expect(total('electedTerms')).toBeGreaterThan(16 * 3);
    expect(total('writesAcked')).toBeGreaterThan(100);
    expect(total('readsChecked')).toBeGreaterThan(20);
    expect(total('snapshots')).toBeGreaterThan(10);
    expect(total('restarts')).toBeGreaterThan(16 * 5);
    expect(total('learnersAdded')).toBeGreaterThan(0);
    expect(total('promotions')).toBeGreaterThan(0);
    expect(total('removals')).toBeGreaterThan(0);
  });
});
