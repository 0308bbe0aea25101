import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VM_STATES } from '../state/index.ts';
import { type LocalGuest, type OwnedVm, type ReconcileInput, reconcile } from './reconcile.ts';

const vm = (name: string, state: OwnedVm['state'], node = 'n1', extra: Partial<OwnedVm> = {}): OwnedVm => ({
  name,
  state,
  node,
  migratingTo: '',
  pid: 0,
  ...extra,
});
const guest = (name: string, pid = 100, healthy = true): LocalGuest => ({ name, pid, healthy });
const input = (over: Partial<ReconcileInput>): ReconcileInput => ({
  self: 'n1',
  vms: [],
  guests: [],
  known: [],
  busy: new Set(),
  caughtUp: true,
  ...over,
});

describe('reconcile', () => {
  it('starts a VM that should run here and reports it running with its pid', () => {
    expect(reconcile(input({ vms: [vm('a', 'starting')] }))).toEqual([{ kind: 'start', name: 'a' }]);
    expect(reconcile(input({ vms: [vm('a', 'starting')], guests: [guest('a', 7)] }))).toEqual([
      { kind: 'report', name: 'a', state: 'running', expect: ['starting', 'running'], pid: 7 },
    ]);
    // Running with the recorded pid: nothing to do.
    expect(
      reconcile(input({ vms: [vm('a', 'running', 'n1', { pid: 7 })], guests: [guest('a', 7)] })),
    ).toEqual([]);
  });

  it('restarts a VM that should run after a node restart, but only once caught up', () => {
    const vms = [vm('a', 'running', 'n1', { pid: 7 })];
    expect(reconcile(input({ vms, caughtUp: false }))).toEqual([]);
    expect(reconcile(input({ vms }))).toEqual([{ kind: 'start', name: 'a' }]);
  });

  it('stops a guest whose VM should not run, then reports it stopped', () => {
    expect(reconcile(input({ vms: [vm('a', 'stopping')], guests: [guest('a')] }))).toEqual([
      { kind: 'stop', name: 'a', reason: 'vm is stopping' },
    ]);
    expect(reconcile(input({ vms: [vm('a', 'stopping')] }))).toEqual([
      { kind: 'report', name: 'a', state: 'stopped', expect: ['stopping'] },
    ]);
  });

  it('hands a migrating VM to its target only once the guest is down here', () => {
    const m = vm('a', 'migrating', 'n1', { migratingTo: 'n2' });
    expect(reconcile(input({ vms: [m], guests: [guest('a')] }))).toEqual([
      { kind: 'stop', name: 'a', reason: 'vm is migrating' },
    ]);
    expect(reconcile(input({ vms: [m] }))).toEqual([
      { kind: 'report', name: 'a', state: 'starting', expect: ['migrating'], node: 'n2' },
    ]);
    // The target does nothing until the hand-off has applied.
    expect(reconcile(input({ self: 'n2', vms: [m] }))).toEqual([]);
  });

  it('reaps orphans and guests of VMs owned elsewhere; forgets files of deleted VMs', () => {
    const actions = reconcile(
      input({ vms: [vm('b', 'running', 'n2')], guests: [guest('x'), guest('b')], known: ['x', 'b', 'gone'] }),
    );
    expect(actions).toEqual([
      { kind: 'stop', name: 'x', reason: 'no such vm' },
      { kind: 'stop', name: 'b', reason: 'vm belongs to n2' },
      { kind: 'forget', name: 'gone' },
    ]);
  });

  it('restarts an unhealthy guest by stopping it first', () => {
    expect(reconcile(input({ vms: [vm('a', 'running')], guests: [guest('a', 5, false)] }))).toEqual([
      { kind: 'stop', name: 'a', reason: 'heartbeat lost' },
    ]);
  });

  it('leaves busy VMs alone', () => {
    expect(reconcile(input({ vms: [vm('a', 'starting')], busy: new Set(['a']) }))).toEqual([]);
  });

  it('never starts a VM on two nodes: at most the owner is told to run it (property)', () => {
    const arbVm = fc.record({
      name: fc.constantFrom('a', 'b', 'c'),
      state: fc.constantFrom(...VM_STATES),
      node: fc.constantFrom('n1', 'n2', 'n3'),
      migratingTo: fc.constantFrom('', 'n1', 'n2', 'n3'),
      pid: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbVm, { selector: (v) => v.name }), (vms) => {
        for (const name of ['a', 'b', 'c']) {
          const starters = ['n1', 'n2', 'n3'].filter((self) =>
            reconcile(input({ self, vms })).some((x) => x.kind === 'start' && x.name === name),
          );
          expect(starters.length).toBeLessThanOrEqual(1);
          const v = vms.find((x) => x.name === name);
          if (starters[0]) expect(v?.node).toBe(starters[0]);
        }
      }),
      { seed: 99, numRuns: 300 },
    );
  });

  it('is idempotent: with the reported state applied, the next round asks for nothing more', () => {
    const vms = [vm('a', 'starting')];
    const first = reconcile(input({ vms, guests: [guest('a', 9)] }));
    expect(first).toHaveLength(1);
    const after = [vm('a', 'running', 'n1', { pid: 9 })];
    expect(reconcile(input({ vms: after, guests: [guest('a', 9)] }))).toEqual([]);
  });
});
