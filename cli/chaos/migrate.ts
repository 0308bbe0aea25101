/**
 * `lab migrate <rollout.yaml>`: a rollout file against the running lab — each step applied (a SIGHUP,
 * or a restart one node at a time when the mode changes), watched and gated, a breached step rolled
 * back — with every step, breach and rollback appended to the lab's events.jsonl. Exit 0 when every
 * step is in place, 1 when a gate rolled one back or a node failed to change, 2 for a bad file or a
 * plan the cluster cannot take (nothing changed then).
 */
import { loadRollout, RolloutError, RolloutPlanError, runRollout } from '../../chaos/rollout/index.ts';
import { LabError } from '../../lab/runtime/index.ts';
import { detach } from '../../node/lib/index.ts';
import { attach, type ChaosIo, recordManual } from './commands.ts';

export async function migrateCommand(file: string, io: ChaosIo): Promise<number> {
  let rollout: Awaited<ReturnType<typeof loadRollout>>;
  try {
    rollout = await loadRollout(file);
  } catch (err) {
    if (err instanceof RolloutError) throw new LabError('usage', err.message);
    throw err;
  }
  const cluster = await attach(io);
  const record = (kind: string, detail: Record<string, unknown>) =>
    detach(recordManual(cluster, kind, undefined, detail, 'lab migrate'), (e) =>
      io.err(`lab: could not record the ${kind} in the run's events: ${(e as Error).message}\n`),
    );
  try {
    const outcome = await runRollout(rollout, {
      cluster,
      stateFile: io.stateFile,
      progress: (line) => io.out(`${line}\n`),
      record: (kind, detail) => {
        record(kind, detail);
        if (kind === 'rollout-step') {
          const gates = (detail.gates as { ok: boolean }[]).length;
          io.out(
            `${String(detail.step)}: ${detail.ok ? 'gates passed' : 'gate breached'} (${gates} judged)\n`,
          );
        }
      },
    });
    record('rollout', { file, ...outcome });
    if (outcome.outcome === 'completed') {
      io.out(`rollout ${rollout.name}: completed (${outcome.passed.join(' → ')})\n`);
      return 0;
    }
    const rb = outcome.rolledBack;
    io.err(
      `rollout ${rollout.name}: ${outcome.outcome}; ${rb?.from} rolled back to ${rb?.to}: ${rb?.reasons.join('; ')}\n`,
    );
    return 1;
  } catch (err) {
    if (err instanceof RolloutPlanError) throw new LabError('usage', err.message);
    throw err;
  } finally {
    await cluster.detach();
  }
}
