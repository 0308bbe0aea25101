/**
 * One cell of `lab evaluate raft` on real docker nodes (Raft over Iroh, no network profile): every
 * figure is measured, Raft's messages all went over Iroh, and the leader kill was recovered from.
 * Skipped where no Docker engine answers.
 */
import { describe, expect, it } from 'vitest';
import { dockerReachable } from '../../lab/runtime/index.ts';
import { evaluateRaft } from './index.ts';
import { PROFILES } from './matrix.ts';

const docker = await dockerReachable();

describe.skipIf(!docker)('lab evaluate raft on docker', () => {
  it('measures a cell of Raft over Iroh end to end', async () => {
    const lines: string[] = [];
    const [cell, ...rest] = await evaluateRaft({
      timing: { loadMs: 3000, settleMs: 1000, concurrency: 2 },
      budgetMs: 600_000,
      progress: (l) => lines.push(l),
      profiles: PROFILES.filter((p) => p.name === 'none'),
      transports: ['iroh'],
    });
    expect(rest).toEqual([]);
    expect(cell?.decision, JSON.stringify(cell)).toMatch(/^(Raft may move to Iroh|may not move: )/);
    expect(cell?.commitsPerSecond).toBeGreaterThan(0);
    expect(cell?.commitMs.p50).toBeGreaterThan(0);
    expect(cell?.messages).toBeGreaterThan(0);
    expect(cell?.irohShare).toBe(1);
    expect(cell?.stability).not.toBeNull();
    expect(cell?.recoveryMs).toBeGreaterThan(0);
    expect(lines).toEqual([
      'iroh: starting 3 docker nodes (Raft over iroh)',
      'iroh × none: measuring',
      `iroh × none: ${cell?.decision}`,
    ]);
  }, 600_000);
});
