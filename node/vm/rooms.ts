/**
 * Each member's room for placement, as the replicated state records it: the
 * capacity it announced, what its VMs take, its VMs' anti-affinity groups,
 * and whether the leader hears from it.
 */
import type { RaftDriver } from '../cluster/index.ts';
import { type ClusterState, nodeUsage } from '../state/index.ts';
import type { NodeRoom } from './scheduler.ts';

/** A follower whose log trails the leader's by more than this is taken for gone when placing. */
const LIVE_LAG_ENTRIES = 50;

export function roomsOf(driver: RaftDriver, state: ClusterState, self: string): NodeRoom[] {
  const s = driver.status();
  const vms = state.vms();
  return state.members().map((m) => {
    const used = nodeUsage(vms, m.id);
    const match = s.matchIndex[m.id];
    // Only the leader tracks followers' progress; elsewhere every member counts as live.
    const live =
      m.id === self || !driver.isLeader || (match !== undefined && s.lastIndex - match <= LIVE_LAG_ENTRIES);
    return {
      id: m.id,
      capacity: { vcpus: m.capacity.vcpus, memoryMb: m.capacity.memoryMb },
      used: { vcpus: used.vcpus, memoryMb: used.memoryMb },
      groups: vms
        .filter((v) => v.node === m.id || v.migratingTo === m.id)
        .map((v) => v.antiAffinityGroup)
        .filter(Boolean),
      live,
    };
  });
}
