import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterState } from './cluster-state.ts';
import { type Command, decodeCommand, encodeCommand } from './commands.ts';

const vm = (name: string) => ({
  name,
  vcpus: 1,
  memoryMb: 256,
  image: 'alpine',
  node: 'n1',
  antiAffinityGroup: '',
  metadata: {},
});

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    type: fc.constant('register.write' as const),
    key: fc.constantFrom('a', 'b', 'c'),
    value: fc.string(),
  }),
  fc.record({
    type: fc.constant('register.cas' as const),
    key: fc.constantFrom('a', 'b'),
    expected: fc.string({ maxLength: 2 }),
    value: fc.string(),
  }),
  fc.record({ type: fc.constant('vm.create' as const), vm: fc.constantFrom('v1', 'v2').map(vm) }),
  fc.record({ type: fc.constant('vm.delete' as const), name: fc.constantFrom('v1', 'v2', 'v3') }),
  fc.record({
    type: fc.constant('vm.state' as const),
    name: fc.constantFrom('v1', 'v2'),
    state: fc.constantFrom('running' as const, 'stopped' as const),
  }),
);

function run(cmds: Command[]): ClusterState {
  const s = new ClusterState();
  cmds.forEach((c, i) => {
    s.apply(i + 1, decodeCommand(encodeCommand(c)));
  });
  return s;
}

describe('cluster state machine', () => {
  it('is deterministic: the same commands give the same digest and results', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (cmds) => {
        expect(run(cmds).digest()).toBe(run(cmds).digest());
      }),
    );
  });

  it('digests differ when the applied commands differ', () => {
    const a = run([{ type: 'register.write', key: 'k', value: '1' }]);
    const b = run([{ type: 'register.write', key: 'k', value: '2' }]);
    expect(a.digest()).not.toBe(b.digest());
  });

  it('restores from a snapshot to the same digest', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), (cmds) => {
        const s = run(cmds);
        const r = new ClusterState();
        r.restore(s.snapshot(), s.applied);
        expect(r.digest()).toBe(s.digest());
        expect(r.applied).toBe(s.applied);
      }),
    );
  });

  it('answers deterministic failures', () => {
    const s = new ClusterState();
    expect(s.apply(1, { type: 'vm.create', vm: vm('v') })).toEqual({ ok: true });
    expect(s.apply(2, { type: 'vm.create', vm: vm('v') })).toMatchObject({
      ok: false,
      code: 'ALREADY_EXISTS',
    });
    expect(s.apply(3, { type: 'vm.state', name: 'v', state: 'running' })).toEqual({ ok: true });
    expect(s.apply(4, { type: 'vm.delete', name: 'v' })).toMatchObject({
      ok: false,
      code: 'FAILED_PRECONDITION',
    });
    expect(s.apply(5, { type: 'vm.delete', name: 'nope' })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(s.apply(6, { type: 'register.cas', key: 'k', expected: 'x', value: 'y' })).toMatchObject({
      ok: false,
      code: 'FAILED_PRECONDITION',
    });
    expect(s.apply(7, { type: 'register.cas', key: 'k', expected: '', value: 'y' })).toEqual({
      ok: true,
      value: 'y',
    });
    expect(s.register('k')).toBe('y');
    expect(() => s.apply(7, { type: 'noop' })).toThrow(/after 7/);
  });

  it('refuses corrupt commands with a message naming the field', () => {
    expect(() => decodeCommand(new TextEncoder().encode('{"type":"vm.delete"}'))).toThrow(/name/);
    expect(() => decodeCommand(new TextEncoder().encode('{"type":"bogus"}'))).toThrow(
      /invalid state machine command/,
    );
    expect(() => decodeCommand(Uint8Array.of(1, 2, 3))).toThrow(/not JSON/);
  });
});

describe('vm commands with guards and capacity', () => {
  const join = (id: string, vcpus: number, memoryMb: number): Command => ({
    type: 'member.join',
    id,
    address: { grpc: '', irohNodeId: '', irohAddrs: [] },
    capacity: { vcpus, memoryMb, diskGb: 10 },
  });
  const spec = (name: string, node: string, vcpus = 1) => ({ ...vm(name), node, vcpus });

  it('refuses a create that does not fit its node, with RESOURCE_EXHAUSTED', () => {
    const s = new ClusterState();
    s.apply(1, join('n1', 2, 1024));
    expect(s.apply(2, { type: 'vm.create', vm: spec('a', 'n1', 2), fit: true }).ok).toBe(true);
    const refused = s.apply(3, { type: 'vm.create', vm: spec('b', 'n1', 1), fit: true });
    expect(refused).toMatchObject({ ok: false, code: 'RESOURCE_EXHAUSTED' });
    expect(s.vm('b')).toBeUndefined();
  });

  it('applies a state report only when the VM is where and as the reporter saw it', () => {
    const s = new ClusterState();
    s.apply(1, join('n1', 4, 4096));
    s.apply(2, { type: 'vm.create', vm: spec('a', 'n1'), state: 'starting' });
    const stale = s.apply(3, { type: 'vm.state', name: 'a', state: 'running', expect: ['stopping'] });
    expect(stale).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    const foreign = s.apply(4, { type: 'vm.state', name: 'a', state: 'running', expectNode: 'n2' });
    expect(foreign).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    s.apply(5, { type: 'vm.state', name: 'a', state: 'running', expect: ['starting'], pid: 42, atMs: 7 });
    expect(s.vm('a')).toMatchObject({ state: 'running', pid: 42, startedAtMs: 7 });
    s.apply(6, { type: 'vm.state', name: 'a', state: 'stopped' });
    expect(s.vm('a')).toMatchObject({ state: 'stopped', pid: 0 });
  });

  it('counts a migrating VM on its target when checking room there', () => {
    const s = new ClusterState();
    s.apply(1, join('n1', 4, 4096));
    s.apply(2, join('n2', 1, 4096));
    s.apply(3, { type: 'vm.create', vm: spec('a', 'n1'), state: 'running' });
    s.apply(4, { type: 'vm.create', vm: spec('b', 'n1'), state: 'running' });
    const moved = s.apply(5, {
      type: 'vm.state',
      name: 'a',
      state: 'migrating',
      migratingTo: 'n2',
      fit: true,
    });
    expect(moved.ok).toBe(true);
    const second = s.apply(6, {
      type: 'vm.state',
      name: 'b',
      state: 'migrating',
      migratingTo: 'n2',
      fit: true,
    });
    expect(second).toMatchObject({ ok: false, code: 'RESOURCE_EXHAUSTED' });
  });
});
