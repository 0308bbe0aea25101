import { describe, expect, it } from 'vitest';
import { methodPath, SERVICE_GROUPS } from './service-groups.ts';
import { allMethods } from './services.ts';
import { Code, RpcError } from './status.ts';
import { chooseTransport, fallbackDecision, REPEATABLE, shouldFallBack } from './strategy.ts';
import type { MigrationStrategy } from './vocabulary.ts';

const base: MigrationStrategy = { preferIroh: [], raftTransport: 'grpc', fallbackToGrpc: true };

describe('transport selection', () => {
  it('sends every group over gRPC when nothing is preferred', () => {
    for (const group of SERVICE_GROUPS) expect(chooseTransport(base, { group, mode: 'dual' })).toBe('grpc');
  });

  it('moves exactly the preferred groups to Iroh, and raft follows its own rule', () => {
    const s: MigrationStrategy = { ...base, preferIroh: ['health', 'status', 'vm_ops', 'raft'] };
    const picked = Object.fromEntries(
      SERVICE_GROUPS.map((g) => [g, chooseTransport(s, { group: g, mode: 'dual' })]),
    );
    expect(picked).toEqual({
      health: 'iroh',
      status: 'iroh',
      monitoring: 'grpc',
      cluster: 'grpc',
      raft: 'grpc',
      vm_ops: 'iroh',
      scheduling: 'grpc',
      tasks: 'grpc',
      p2p: 'grpc',
    });
    expect(chooseTransport({ ...s, raftTransport: 'iroh' }, { group: 'raft', mode: 'dual' })).toBe('iroh');
  });

  it('puts raft where the adaptive rule has it for the peer, gRPC until it decides', () => {
    const s: MigrationStrategy = { ...base, raftTransport: { adaptive: { latencyThresholdMs: 5 } } };
    expect(chooseTransport(s, { group: 'raft', mode: 'dual' })).toBe('grpc');
    expect(chooseTransport(s, { group: 'raft', mode: 'dual', adaptiveRaft: 'iroh' })).toBe('iroh');
    expect(chooseTransport(s, { group: 'raft', mode: 'dual', adaptiveRaft: 'grpc' })).toBe('grpc');
    // Only Raft follows it, and only under the adaptive rule.
    expect(chooseTransport(s, { group: 'health', mode: 'dual', adaptiveRaft: 'iroh' })).toBe('grpc');
    expect(chooseTransport(base, { group: 'raft', mode: 'dual', adaptiveRaft: 'iroh' })).toBe('grpc');
  });

  it('follows a single-transport peer whatever the strategy', () => {
    const s: MigrationStrategy = { ...base, preferIroh: ['health'], raftTransport: 'iroh' };
    expect(chooseTransport(s, { group: 'health', mode: 'grpc' })).toBe('grpc');
    expect(chooseTransport(s, { group: 'cluster', mode: 'iroh' })).toBe('iroh');
    expect(chooseTransport(s, { group: undefined, mode: 'dual' })).toBe('grpc');
  });

  it('falls back only from Iroh, only when enabled, only on UNAVAILABLE, only to a dual peer', () => {
    const unavailable = new RpcError(Code.UNAVAILABLE, 'x');
    expect(shouldFallBack(base, 'iroh', 'dual', unavailable)).toBe(true);
    expect(shouldFallBack({ ...base, fallbackToGrpc: false }, 'iroh', 'dual', unavailable)).toBe(false);
    expect(shouldFallBack(base, 'grpc', 'dual', unavailable)).toBe(false);
    expect(shouldFallBack(base, 'iroh', 'iroh', unavailable)).toBe(false);
    for (const code of [Code.NOT_FOUND, Code.DEADLINE_EXCEEDED, Code.INTERNAL, Code.PERMISSION_DENIED]) {
      expect(shouldFallBack(base, 'iroh', 'dual', new RpcError(code, 'x'))).toBe(false);
    }
  });

  it('retries over gRPC a call Iroh never sent, whatever it is; one that may have run only when repeating it is harmless', () => {
    const unavailable = new RpcError(Code.UNAVAILABLE, 'connection lost');
    const decide = (path: string, sent: boolean) =>
      fallbackDecision(base, 'iroh', 'dual', unavailable, path, sent);
    for (const path of allMethods().map(methodPath)) expect(decide(path, false)).toBe('retry');
    const unsafe = [
      'blixard.BlixardService/ProposeTask',
      'blixard.ClusterService/CreateVm',
      'blixard.ClusterService/CreateVmWithScheduling',
      'blixard.ClusterService/StartVm',
      'blixard.ClusterService/StopVm',
      'blixard.ClusterService/DeleteVm',
      'blixard.ClusterService/MigrateVm',
      'blixard.ClusterService/SubmitTask',
      'blixard.ClusterService/LeaveCluster',
      'blixard.ClusterService/TransferLeadership',
    ];
    for (const path of unsafe) expect(decide(path, true), path).toBe('unsafe');
    for (const path of ['blixard.ClusterService/SendRaftMessage', 'blixard.ClusterService/GetVmStatus'])
      expect(decide(path, true)).toBe('retry');
    // Every method of the contract is decided one way or the other.
    for (const path of allMethods().map(methodPath))
      expect(REPEATABLE.has(path) || unsafe.includes(path), path).toBe(true);
    expect(
      fallbackDecision(
        { ...base, fallbackToGrpc: false },
        'iroh',
        'dual',
        unavailable,
        unsafe[0] as string,
        false,
      ),
    ).toBe('no');
  });
});
