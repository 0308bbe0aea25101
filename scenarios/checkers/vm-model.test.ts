import { describe, expect, it } from 'vitest';
import { pick, seededRandom } from '../../node/lib/index.ts';
import type { VmStateName } from '../../node/state/index.ts';
import type { OpRecord } from './history.ts';
import { checkOperations } from './search.ts';
import { type VmRow, vmHistory } from './vm-history-rows.ts';
import { vmModel, vmOperations } from './vm-model.ts';

type Row = VmRow;
const h = vmHistory;

const check = (history: OpRecord[]) => checkOperations(vmModel, vmOperations(history));

/** An op with no arguments, invoked and completed ok before the next row: its two rows. */
const answered = (id: number, process: number, f: string, result?: unknown): Row[] => [
  [id, process, 'invoke', f],
  [id, process, 'ok', f, result],
];

/** create (placed on n1), then a read of its status. */
const created = answered(1, 0, 'create', { node: 'n1' });

describe('the VM record: its lifecycle as a state machine, per name', () => {
  it('accepts a lifecycle as the service and the owner drive it', () => {
    const r = check(
      h(
        ...created,
        ...answered(2, 0, 'status', { state: 'running', node: 'n1' }),
        ...answered(3, 0, 'stop'),
        [4, 0, 'invoke', 'delete'],
        [4, 0, 'fail', 'delete', undefined, "FAILED_PRECONDITION: vm 'vm1' is still stopping"],
        ...answered(5, 0, 'status', { state: 'stopped', node: 'n1' }),
        ...answered(6, 0, 'delete'),
        [7, 0, 'invoke', 'status'],
        [7, 0, 'fail', 'status', undefined, "NOT_FOUND: no vm 'vm1'"],
      ),
    );
    expect(r.valid, r.explanation).toBe(true);
  });

  it('fails a read of a deleted VM (a stale read), naming the delete and the read', () => {
    const r = check(
      h(
        ...created,
        ...answered(2, 0, 'stop'),
        ...answered(3, 0, 'status', { state: 'stopped', node: 'n1' }),
        ...answered(4, 0, 'delete'),
        ...answered(5, 1, 'status', { state: 'stopped', node: 'n1' }),
      ),
    );
    expect(r.valid).toBe(false);
    const cx = r.partitions[0]?.counterexample;
    expect(cx?.breaking.id).toBe(5);
    expect(cx?.window.map((o) => o.id)).toEqual([4, 5]);
    expect(r.explanation).toMatch(/op 5 p1 status vm1 → stopped on n1/);
  });

  it('fails two creates of one name that both succeed (the second must find it exists)', () => {
    const r = check(h(...created, ...answered(2, 1, 'create', { node: 'n2' })));
    expect(r.valid).toBe(false);
  });

  it('reads a refusal as the record: refused while nothing else could have moved it is a failure', () => {
    const stopped: Row[] = [
      ...created,
      ...answered(2, 0, 'stop'),
      ...answered(3, 0, 'status', { state: 'stopped', node: 'n1' }),
    ];
    const refused: Row[] = [
      [4, 0, 'invoke', 'delete'],
      [4, 0, 'fail', 'delete', undefined, "FAILED_PRECONDITION: vm 'vm1' is running; stop it first"],
    ];
    expect(check(h(...stopped, ...refused)).valid).toBe(false);
    // With a start in flight (its outcome unknown), the VM may be starting: the refusal fits.
    const withStart = h(...stopped, [9, 1, 'invoke', 'start'], [9, 1, 'info', 'start'], ...refused);
    expect(check(withStart).valid).toBe(true);
    // A refusal that says nothing of the record (no leader) did not happen and is not checked.
    const noLeader = h(
      ...stopped,
      [4, 0, 'invoke', 'delete'],
      [4, 0, 'fail', 'delete', undefined, 'UNAVAILABLE: no leader'],
    );
    expect(check(noLeader).valid).toBe(true);
  });

  it('follows a migration: on the target once handed over, never back on the source as running', () => {
    const migrated: Row[] = [
      ...created,
      ...answered(2, 0, 'status', { state: 'running', node: 'n1' }),
      [3, 0, 'invoke', 'migrate', { target: 'n2' }],
      [3, 0, 'ok', 'migrate', { status: 'MIGRATING' }],
    ];
    const thenSeen = (state: string, node: string) =>
      check(h(...migrated, ...answered(4, 0, 'status', { state, node }))).valid;
    expect(thenSeen('running', 'n2')).toBe(true);
    expect(thenSeen('migrating', 'n1')).toBe(true);
    expect(thenSeen('running', 'n1')).toBe(false);
  });

  it('lets a create of unknown outcome happen late, on a node learnt from the first read that names one', () => {
    const late: Row[] = [
      [1, 0, 'invoke', 'create'],
      [1, 0, 'info', 'create'],
      [2, 1, 'invoke', 'status'],
      [2, 1, 'fail', 'status', undefined, "NOT_FOUND: no vm 'vm1'"],
      ...answered(3, 1, 'status', { state: 'running', node: 'n3' }),
    ];
    expect(check(h(...late)).valid).toBe(true);
    // Then it cannot move to another node without a migration.
    const elsewhere = answered(4, 1, 'status', { state: 'running', node: 'n2' });
    expect(check(h(...late, ...elsewhere)).valid).toBe(false);
  });

  it('reads a list as one status per name: a deleted VM listed after its delete completed fails', () => {
    const deleted: Row[] = [
      ...created,
      [2, 0, 'invoke', 'stop', { force: true }],
      [2, 0, 'ok', 'stop'],
      ...answered(3, 0, 'status', { state: 'stopped', node: 'n1' }),
      ...answered(4, 0, 'delete'),
    ];
    expect(check(h(...deleted, ...answered(5, 1, 'list', []))).valid).toBe(true);
    const stale = h(...deleted, ...answered(5, 1, 'list', [{ name: 'vm1', state: 'stopped', node: 'n1' }]));
    expect(check(stale).valid).toBe(false);
  });

  it('refuses a record it cannot read, naming the op', () => {
    expect(() => vmOperations(h(...answered(1, 0, 'status', { state: 'sleeping', node: 'n1' })))).toThrow(
      /vm op 1 \(status\): unknown vm state 'sleeping'/,
    );
  });
});

/**
 * A seeded run: one client per VM name (as the workload's per-client names), each issuing ops one at
 * a time against a reference service, while owners move records on their own between ops (boot,
 * finish a stop, finish a hand-off). Clients of different names overlap in time.
 */
function simulateVms(seed: number, names: number, opsPerName: number): OpRecord[] {
  const records: OpRecord[] = [];
  let id = 0;
  for (let v = 0; v < names; v++) {
    const random = seededRandom(seed, 'vm-sim', String(v));
    const name = `vm${v}`;
    let rec: { phase: VmStateName; node: string; target: string } | undefined;
    let t = v;
    const emit = (f: string, input: unknown, type: OpRecord['type'], output?: unknown, error?: string) => {
      const base = { id: id++, process: v, f, key: name };
      const value = (x: unknown) => (x === undefined ? undefined : JSON.stringify(x));
      records.push({ ...base, type: 'invoke', value: value(input), time: t });
      t += 1 + Math.floor(random() * 3);
      records.push({ ...base, type, value: value(output), error, time: t });
      t += 1;
    };
    for (let i = 0; i < opsPerName; i++) {
      // The owner's own moves.
      if (rec && random() < 0.6) {
        if (rec.phase === 'starting') rec.phase = 'running';
        else if (rec.phase === 'stopping') rec.phase = 'stopped';
        else if (rec.phase === 'migrating') rec = { phase: 'starting', node: rec.target, target: '' };
      }
      const f = pick(random, ['create', 'start', 'stop', 'delete', 'migrate', 'status', 'status']);
      const refuse = (code: string) => emit(f, undefined, 'fail', undefined, `${code}: refused`);
      if (f === 'create') {
        if (rec) refuse('ALREADY_EXISTS');
        else {
          const node = pick(random, ['n1', 'n2', 'n3']);
          rec = { phase: 'starting', node, target: '' };
          emit(f, undefined, 'ok', { node });
        }
      } else if (!rec) refuse('NOT_FOUND');
      else if (f === 'status') emit(f, undefined, 'ok', { state: rec.phase, node: rec.node });
      else if (f === 'start') {
        if (rec.phase === 'migrating' || rec.phase === 'stopping') refuse('FAILED_PRECONDITION');
        else {
          if (rec.phase !== 'running' && rec.phase !== 'starting') rec.phase = 'starting';
          emit(f, undefined, 'ok');
        }
      } else if (f === 'stop') {
        if (rec.phase === 'migrating') refuse('FAILED_PRECONDITION');
        else {
          if (rec.phase === 'failed') rec.phase = 'stopped';
          else if (rec.phase === 'running' || rec.phase === 'starting') rec.phase = 'stopping';
          emit(f, undefined, 'ok');
        }
      } else if (f === 'delete') {
        if (['created', 'stopped', 'failed'].includes(rec.phase)) {
          rec = undefined;
          emit(f, undefined, 'ok');
        } else refuse('FAILED_PRECONDITION');
      } else {
        const target = pick(
          random,
          ['n1', 'n2', 'n3'].filter((n) => n !== rec?.node),
        );
        if (rec.phase === 'running' || rec.phase === 'starting') {
          rec = { phase: 'migrating', node: rec.node, target };
          emit(f, { target }, 'ok', { status: 'MIGRATING' });
        } else if (['created', 'stopped', 'failed'].includes(rec.phase)) {
          rec = { ...rec, node: target };
          emit(f, { target }, 'ok', { status: 'MOVED' });
        } else emit(f, { target }, 'fail', undefined, 'FAILED_PRECONDITION: refused');
      }
    }
  }
  return records.sort((a, b) => a.time - b.time);
}

describe('generated VM runs (seeded)', () => {
  it('pass when every op follows the service and the owners', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = check(simulateVms(seed, 4, 40));
      expect(r.valid, `seed ${seed}: ${r.explanation}`).toBe(true);
    }
  });

  it('fail with a stale read of a deleted VM planted after the first completed delete of each run', () => {
    let planted = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const history = simulateVms(seed, 4, 40);
      const del = history.find((r) => r.f === 'delete' && r.type === 'ok');
      if (!del) continue;
      // The last status of that VM before its delete, read again by another client right after.
      const before = history
        .filter((r) => r.key === del.key && r.f === 'status' && r.type === 'ok' && r.time < del.time)
        .at(-1);
      if (!before) continue;
      planted++;
      const stale: OpRecord[] = [
        { id: 10_000, process: 99, type: 'invoke', f: 'status', key: del.key, time: del.time + 0.25 },
        {
          id: 10_000,
          process: 99,
          type: 'ok',
          f: 'status',
          key: del.key,
          value: before.value,
          time: del.time + 0.5,
        },
      ];
      const r = check([...history, ...stale].sort((a, b) => a.time - b.time));
      expect(r.valid, `seed ${seed}`).toBe(false);
      expect(r.partitions.find((p) => p.valid === false)?.counterexample?.window.map((o) => o.id)).toContain(
        10_000,
      );
    }
    expect(planted).toBeGreaterThanOrEqual(10);
  });
});

describe('records named by workload (vm-…) with structured replies in result', () => {
  it('are read like the plain ones, beside register records in one history', () => {
    const at = (
      time: number,
      r: Omit<OpRecord, 'time' | 'process' | 'key'> & { key?: string },
    ): OpRecord => ({
      process: 0,
      key: 'vm1',
      ...r,
      time,
    });
    const history: OpRecord[] = [
      at(1, { id: 1, type: 'invoke', f: 'vm-create' }),
      at(2, { id: 1, type: 'ok', f: 'vm-create', result: { node: 'n1', message: 'created' } }),
      at(3, { id: 9, type: 'invoke', f: 'read', key: 'k0' }),
      at(4, { id: 9, type: 'ok', f: 'read', key: 'k0', value: '' }),
      at(5, { id: 2, type: 'invoke', f: 'vm-migrate', value: 'n2' }),
      at(6, {
        id: 2,
        type: 'ok',
        f: 'vm-migrate',
        result: { source: 'n1', target: 'n2', status: 'MIGRATING' },
      }),
      at(7, { id: 3, type: 'invoke', f: 'vm-list', key: 'vm' }),
      at(8, {
        id: 3,
        type: 'ok',
        f: 'vm-list',
        key: 'vm',
        result: { vms: [{ name: 'vm1', state: 'starting', node: 'n2', pid: 0 }] },
      }),
      at(9, { id: 4, type: 'invoke', f: 'vm-status' }),
      at(10, {
        id: 4,
        type: 'ok',
        f: 'vm-status',
        result: { found: true, state: 'running', node: 'n1', pid: 7 },
      }),
    ];
    const ops = vmOperations(history);
    expect(ops.map((o) => o.input.f)).toEqual(['create', 'migrate', 'status', 'status']);
    expect(ops[1]?.input).toEqual({ f: 'migrate', target: 'n2', force: undefined });
    const r = checkOperations(vmModel, ops);
    // Back on the source, running, after the list saw it handed over to n2.
    expect(r.valid).toBe(false);
    expect(r.partitions[0]?.counterexample?.breaking.id).toBe(4);
    expect(check(history.slice(0, 8)).valid).toBe(true);
  });
});
