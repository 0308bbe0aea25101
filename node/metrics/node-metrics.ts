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

  /** The gRPC fallback, per RPC: retried, or refused because running the call twice is not harmless. */
  readonly fallbacks = this.perMethod(
    'blixard_transport_fallbacks_total',
    'Calls retried over gRPC after Iroh failed to connect, or answered UNAVAILABLE on a call safe to repeat',
  );
  readonly fallbacksRefused = this.perMethod(
    'blixard_transport_fallbacks_refused_total',
    'Iroh calls that failed after the request may have reached the peer, not retried over gRPC because running them twice is not harmless',
  );

  /** The migration strategy in use (1 on the series of its settings), and the reloads that set it. */
  readonly migrationInfo = new Gauge({
    name: 'blixard_transport_migration_info',
    help: 'The migration strategy in use (1 on the one series of its settings); changes on a config reload',
    labelNames: ['prefer_iroh', 'raft_transport', 'fallback_to_grpc'] as const,
    registers: [this.registry],
  });
  readonly configReloads = new Counter({
    name: 'blixard_config_reloads_total',
    help: 'Config reloads (SIGHUP), by outcome: applied, or refused (bad file or a mode change)',
    labelNames: ['outcome'] as const,
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

  readonly irohRequestReadTimeouts = new Counter({
    name: 'blixard_iroh_request_read_timeouts_total',
    help: 'Iroh RPC streams whose request frame did not arrive whole within request_read_timeout_ms',
    registers: [this.registry],
  });

  readonly irohStreamsLimited = new Counter({
    name: 'blixard_iroh_streams_limited_total',
    help: 'Iroh RPC streams refused over a limit (peer, connection), and connections closed for holding too many stalled streams (stalled_connection)',
    labelNames: ['limit'] as const,
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

  readonly raftTransportSwitches = new Counter({
    name: 'blixard_raft_transport_switches_total',
    help: 'Adaptive Raft transport: switches of Raft to a peer, by the transport switched to',
    labelNames: ['peer', 'to'] as const,
    registers: [this.registry],
  });

  readonly raftAdaptiveTransport = new Gauge({
    name: 'blixard_raft_adaptive_transport',
    help: 'Adaptive Raft transport: 1 on the transport Raft to a peer uses now (set from the first switch)',
    labelNames: ['peer', 'transport'] as const,
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

  readonly peerCircuitState = new Gauge({
    name: 'blixard_peer_circuit_state',
    help: 'Circuit breaker state per peer: 0 closed, 1 half-open, 2 open',
    labelNames: ['peer'] as const,
    registers: [this.registry],
  });
  readonly peerCircuitTransitions = new Counter({
    name: 'blixard_peer_circuit_transitions_total',
    help: 'Circuit breaker state changes per peer, by the state entered',
    labelNames: ['peer', 'to'] as const,
    registers: [this.registry],
  });
  readonly peerHealthChecks = new Gauge({
    name: 'blixard_peer_health_checks',
    help: 'Periodic HealthCheck probes sent to a peer since start, by outcome',
    labelNames: ['peer', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly transportBytes = new Counter({
    name: 'blixard_transport_bytes_total',
    help: 'Application bytes carried per transport and direction: RPC messages (both roles) and blob chunks',
    labelNames: ['transport', 'direction'] as const,
    registers: [this.registry],
  });
  readonly irohUdpBytes = new Gauge({
    name: 'blixard_iroh_udp_bytes',
    help: 'UDP bytes through the Iroh endpoint sockets since start (all connections, QUIC framing included), by direction',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  readonly blobBytes = new Counter({
    name: 'blixard_blob_bytes_total',
    help: 'Image chunk bytes moved over blixard/blobs/1, by direction (sent = served, received = fetched)',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  readonly blobChunks = new Counter({
    name: 'blixard_blob_chunks_total',
    help: 'Image chunks by outcome: fetched, served, resumed (already on disk), rejected (hash mismatch)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly blobTransferSeconds = new Histogram({
    name: 'blixard_blob_transfer_duration_seconds',
    help: 'Time to fetch a whole image from peers, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly imagesStored = new Gauge({
    name: 'blixard_p2p_images_stored',
    help: "Complete images in this node's content-addressed store",
    registers: [this.registry],
  });

  readonly vms = new Gauge({
    name: 'blixard_vms',
    help: 'VMs this node owns, by state (as the replicated state records them)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  constructor(labels: { node: string; mode: string }) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'blixard_process_' });
  }

  private perMethod(name: string, help: string) {
    return new Counter({
      name,
      help,
      labelNames: ['service', 'method'] as const,
      registers: [this.registry],
    });
  }
}
