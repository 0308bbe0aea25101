/**
 * The node's Prometheus metrics. Names and labels are documented in
 * docs/METRICS.md; the dashboards query exactly these.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export class NodeMetrics {
  readonly registry = new Registry();

  readonly rpcServerSeconds = new Histogram({
    name: 'blixard_rpc_server_duration_seconds',
    help: 'Time to serve an RPC, by transport, service, method and status code',
    labelNames: ['transport', 'service', 'method', 'code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly rpcClientSeconds = new Histogram({
    name: 'blixard_rpc_client_duration_seconds',
    help: 'Time for an outgoing RPC to a peer, by transport, service, method and status code',
    labelNames: ['transport', 'service', 'method', 'code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly fallbacks = new Counter({
    name: 'blixard_transport_fallbacks_total',
    help: 'Calls retried over gRPC after Iroh failed to connect or answered UNAVAILABLE',
    labelNames: ['service', 'method'] as const,
    registers: [this.registry],
  });

  readonly activeConnections = new Gauge({
    name: 'blixard_transport_active_connections',
    help: 'Open inbound connections by transport (gRPC counts calls in flight)',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly connectionErrors = new Counter({
    name: 'blixard_transport_connection_errors_total',
    help: 'Outgoing calls that failed with UNAVAILABLE or a deadline, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly irohRefused = new Gauge({
    name: 'blixard_iroh_refused_connections',
    help: 'Iroh connections refused because the node id is not admitted (since start)',
    registers: [this.registry],
  });

  readonly raftMessageSeconds = new Histogram({
    name: 'blixard_raft_message_duration_seconds',
    help: 'Round trip of a SendRaftMessage batch to a peer, by transport',
    labelNames: ['transport', 'peer'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly raftMessagesSent = new Counter({
    name: 'blixard_raft_messages_sent_total',
    help: 'Raft messages delivered to peers, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  readonly raftMessagesDropped = new Gauge({
    name: 'blixard_raft_messages_dropped',
    help: 'Raft messages dropped for a peer (queue full or send failed), since start',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });

  readonly raftTerm = new Gauge({
    name: 'blixard_raft_term',
    help: 'Current Raft term',
    registers: [this.registry],
  });
  readonly raftIsLeader = new Gauge({
    name: 'blixard_raft_is_leader',
    help: '1 when this node leads',
    registers: [this.registry],
  });
  readonly raftCommitIndex = new Gauge({
    name: 'blixard_raft_commit_index',
    help: 'Raft commit index',
    registers: [this.registry],
  });
  readonly raftAppliedIndex = new Gauge({
    name: 'blixard_raft_applied_index',
    help: 'Index the state machine has applied',
    registers: [this.registry],
  });
  readonly leaderChanges = new Gauge({
    name: 'blixard_raft_leader_changes',
    help: 'Leader changes seen by this node since start',
    registers: [this.registry],
  });
  readonly electionsStarted = new Gauge({
    name: 'blixard_raft_elections_started',
    help: 'Elections (pre-votes) this node started since start',
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'blixard_raft_commit_duration_seconds',
    help: 'From proposal to applied on the leader',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor(labels: { node: string; mode: string }) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'blixard_process_' });
  }
}
