import { describe, expect, it } from 'vitest';
import { groupOf, methodPath, SERVICE_GROUPS } from './service-groups.ts';
import { allMethods } from './services.ts';

describe('service catalog', () => {
  it('gives every RPC of the contract a group', () => {
    for (const method of allMethods()) expect(SERVICE_GROUPS, methodPath(method)).toContain(groupOf(method));
  });

  it('covers the RPCs the contract promises', () => {
    expect(allMethods().map(methodPath)).toEqual(
      expect.arrayContaining([
        'blixard.ClusterService/JoinCluster',
        'blixard.ClusterService/TransferLeadership',
        'blixard.ClusterService/SendRaftMessage',
        'blixard.ClusterService/ListP2pImages',
        'blixard.BlixardService/GetRaftStatus',
        'blixard.BlixardService/ProposeTask',
        'grpc.health.v1.Health/Watch',
      ]),
    );
    expect(allMethods()).toHaveLength(22 + 4 + 2);
  });
});
