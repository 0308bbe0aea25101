/**
 * A status workload: reads of the answering node's own cluster status (GetClusterStatus, LOCAL): the
 * leader and term it knows. They change nothing and no checker models them; they keep a run's clients
 * on every node of any system (the real Blixard, whose VM reads are not a registry, included), so the
 * history shows when each node answered and what leader it named.
 */
import { ReadConsistency } from '../../node/gen/blixard_pb.js';
import { plannedSpec, type WorkloadSpec } from './runner.ts';

export function statusSpec(o: { clients: number }): WorkloadSpec {
  return plannedSpec(
    'status',
    o.clients,
    () => ({ next: () => 'status' as const }),
    () => ({
      f: 'cluster-status',
      key: 'cluster',
      readOnly: true,
      call: async (s, opts) => {
        const r = await s.cluster.getClusterStatus({ consistency: ReadConsistency.LOCAL }, opts);
        return { result: { leader: r.leaderId, term: Number(r.term) } };
      },
    }),
  );
}
