/**
 * StopVm and StartVm decide on the VM's state as read and propose a transition guarded by it. The
 * owner can move the VM in between (its guest boots: starting → running). The client asked to stop a
 * VM that was starting; it must get the stop, not a FAILED_PRECONDITION about a state it never named.
 * (The VM-record linearizability checker caught this on a real run: a stop refused right after an
 * acknowledged start.) Here the owner's report is applied just before the client's command.
 */
import { describe, expect, it } from 'vitest';
import type { NodeConfig } from '../config/index.ts';
import { ClusterState, type Command } from '../state/index.ts';
import { vmServices } from './vm-services.ts';

function harness(ownerMoves: Command) {
  const state = new ClusterState();
  let index = 0;
  const apply = (cmd: Command) => state.apply(++index, cmd);
  apply({
    type: 'vm.create',
    vm: { name: 'web', vcpus: 1, memoryMb: 64, image: '', node: 'n2', antiAffinityGroup: '', metadata: {} },
    state: 'starting',
  });
  let moved = false;
  const driver = {
    isLeader: true,
    async propose(cmd: Command) {
      if (!moved) {
        moved = true;
        apply(ownerMoves); // the owner's report lands first
      }
      return { index: index + 1, result: apply(cmd) };
    },
  };
  const services = vmServices({
    nodeId: 'n1',
    dataDir: '/nonexistent',
    driver: driver as never,
    state,
    book: {} as never,
    proposalTimeoutMs: 1000,
    vm: {} as NodeConfig['vm'],
    manager: {} as never,
    read: async () => index,
  });
  const ctx = { signal: new AbortController().signal, transport: 'grpc', peer: 'test' } as never;
  return { state, cluster: services.cluster as Required<typeof services.cluster>, ctx };
}

describe('a VM transition raced by its owner', () => {
  it('a stop of a starting VM that boots meanwhile still stops it', async () => {
    const h = harness({ type: 'vm.state', name: 'web', state: 'running', expect: ['starting'] });
    const reply = await h.cluster.stopVm({ name: 'web', force: false } as never, h.ctx);
    expect(reply.success).toBe(true);
    expect(h.state.vm('web')?.state).toBe('stopping');
  });
});
