import { describe, expect, it } from 'vitest';
import { isFault } from '../ops.ts';
import { sortSchedule } from '../schedule.ts';
import { type NemesisPackage, PACKAGE_NAMES, PackageEntrySchema } from './catalog.ts';
import { faultPhaseMs, PackagePlanError, planPackages } from './plan.ts';

const pkg = (v: unknown): NemesisPackage => PackageEntrySchema.parse(v);
const every = PACKAGE_NAMES.map((name) => pkg(name));

describe('planPackages', () => {
  it('is a pure function of its seed', () => {
    for (const seed of [1, 2, 3]) {
      const a = planPackages({ seed, durationMs: 90_000, packages: every });
      expect(planPackages({ seed, durationMs: 90_000, packages: every })).toEqual(a);
      expect(planPackages({ seed: seed + 100, durationMs: 90_000, packages: every })).not.toEqual(a);
    }
  });

  it('keeps each occurrence in its own slot, in order, its faults recovered inside it', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const packages = every.map((p) => ({ ...p, count: 2 }));
      const durationMs = 150_000;
      const s = planPackages({ seed, durationMs, packages });
      expect(sortSchedule(s)).toEqual(s);
      const slot = faultPhaseMs(durationMs) / (packages.length * 2);
      // The last stretch stays quiet for the judges to see the cluster converge.
      expect(s.at(-1)?.at).toBeLessThanOrEqual(durationMs - 10_000);
      // Steps of one slot: every fault is followed, within the slot, by what undoes it.
      const bySlot = new Map<number, typeof s>();
      for (const step of s) {
        const k = Math.floor(step.at / slot);
        bySlot.set(k, [...(bySlot.get(k) ?? []), step]);
      }
      expect([...bySlot.keys()]).toEqual([...Array(packages.length * 2).keys()]);
      for (const steps of bySlot.values()) {
        const open = new Set<string>();
        for (const { op } of steps) {
          if (op.do === 'partition') open.add('partition');
          if (op.do === 'heal') open.delete('partition');
          if (op.do === 'kill' || op.do === 'pause') open.add('node');
          if (op.do === 'start' || op.do === 'resume') open.delete('node');
          if (op.do === 'leave') open.add('member');
          if (op.do === 'join') open.delete('member');
        }
        expect([...open], JSON.stringify(steps)).toEqual([]);
      }
    }
  });

  it('aims each fault: the leader under writes, the minority with the clients, the voter, a follower', () => {
    const plan = (p: unknown) => planPackages({ seed: 9, durationMs: 20_000, packages: [pkg(p)] });
    const kill = plan({ name: 'leader-kill-under-writes', fault: 'pause', down: 1500, min_writes: 6 });
    expect(kill.map((s) => s.op)).toEqual([
      { do: 'pause', node: 'leader' },
      { do: 'resume', node: 'previous' },
    ]);
    expect(kill[0]?.when).toEqual({ on: 'writes-open', min: 6, within: 3000 });
    // The node stays down for `down` at least, whenever the trigger fires within its bound.
    expect((kill[1]?.at ?? 0) - (kill[0]?.at ?? 0)).toBe(3000 + 1500);

    const minority = plan('leader-minority-clients');
    expect(minority.map((s) => s.op.do === 'partition' && s.op.kind)).toEqual(['leader-clients', false]);

    const vote = plan('restart-after-vote');
    expect(vote.map((s) => s.op)).toEqual([
      { do: 'partition', kind: 'leader', transport: 'both' },
      { do: 'restart', node: 'follower' },
      { do: 'heal' },
    ]);
    expect(vote[1]?.when).toEqual({ on: 'vote', within: 4000 });

    const member = plan('membership-under-partition');
    expect(member.map((s) => s.op)).toEqual([
      { do: 'partition', kind: 'isolate', node: 'follower', transport: 'both' },
      { do: 'leave', node: 'previous' },
      { do: 'heal' },
      { do: 'join', node: 'previous' },
    ]);
    // Removed while the partition holds, added back after the heal.
    const at = member.map((s) => s.at);
    expect(at[0]).toBeLessThan(at[1] as number);
    expect(at[1]).toBeLessThan(at[2] as number);
    expect(at[2]).toBeLessThan(at[3] as number);

    const transfer = plan({ name: 'transfer-under-load', transfers: 3 });
    expect(transfer.map((s) => s.op)).toEqual(Array(3).fill({ do: 'transfer', to: 'follower' }));
    expect(transfer.every((s) => s.when?.on === 'writes-open')).toBe(true);
  });

  it('every package leaves a fault of its own and nothing open', () => {
    for (const p of every) {
      const s = planPackages({ seed: 1, durationMs: 30_000, packages: [p] });
      expect(
        s.some((x) => isFault(x.op)),
        p.name,
      ).toBe(true);
    }
  });

  it('refuses packages that do not fit, naming the package and what it needs', () => {
    expect(() =>
      planPackages({
        seed: 1,
        durationMs: 10_000,
        packages: [pkg('leader-kill-under-writes'), pkg('transfer-under-load')],
      }),
    ).toThrow(PackagePlanError);
    try {
      planPackages({
        seed: 1,
        durationMs: 10_000,
        packages: [pkg('leader-kill-under-writes'), pkg('transfer-under-load')],
      });
    } catch (err) {
      expect((err as PackagePlanError).index).toBe(0);
      expect((err as Error).message).toMatch(
        /^leader-kill-under-writes needs 5\.5 s per occurrence; 2 occurrence\(s\) in 7\.5 s of faults leave 3\.8 s each/,
      );
    }
  });
});
