/**
 * The reference Blixard node: wires config, storage, Raft, the state machine,
 * transports and services together. Handlers live with their parts; this
 * file only composes them and runs the node's life cycle.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AddressBook,
  PeerOutbox,
  RaftDriver,
  type ReadBarrier,
  raftServices,
  readBarrier,
} from './cluster/index.ts';
import { decideReload, type NodeConfig, readJoinToken } from './config/index.ts';
import { sleep } from './lib/index.ts';
import { createLogger } from './log.ts';
import { type MetricsServer, NodeMetrics, startMetricsServer } from './metrics/index.ts';
import { BlobServer, ImageStore, P2pService } from './p2p/index.ts';
import { PeerConnector } from './peers/index.ts';
import {
  bootstrapState,
  DiskStorage,
  emptyState,
  type PersistedState,
  type RaftMessage,
} from './raft/index.ts';
import { ClusterState } from './state/index.ts';
import {
  BlixardService,
  bindIrohEndpoint,
  ClientFactory,
  ClusterService,
  Code,
  createClient,
  type Endpoint,
  Health,
  HealthState,
  type MigrationStrategy,
  SecretKey,
  ServiceRegistry,
  Serving,
  strategyFromFile,
  strategyToFile,
  TransportRunner,
} from './transport/index.ts';
import { VmNode } from './vm/index.ts';

export const NODE_VERSION = '0.1.0';

export class BlixardNode {
  readonly config: NodeConfig;
  readonly registry = new ServiceRegistry();
  readonly health = new HealthState(() => this.registry.services().map((s) => s.typeName));
  readonly state = new ClusterState();
  private runner: TransportRunner | undefined;
  private factory: ClientFactory | undefined;
  private storage: DiskStorage | undefined;
  private driverRef: RaftDriver | undefined;
  private book: AddressBook | undefined;
  private readonly outboxes = new Map<string, PeerOutbox>();
  private vmNode: VmNode | undefined;
  private peers: PeerConnector | undefined;
  private images: ImageStore | undefined;
  private blobServer: BlobServer | undefined;
  private p2p: P2pService | undefined;
  /** Binds an endpoint for one outgoing Iroh dial (RPC and blobs alike): the node's key, a new port. */
  private dialEndpoint: (() => Promise<Endpoint>) | undefined;
  private readonly startedAt = Date.now();
  private readonly log;
  private readonly background = new AbortController();
  /** The cluster's join token, when `[cluster] join_token_file` is set. */
  private joinToken: string | undefined;
  /** Learners a promotion loop is running for. */
  private readonly promoting = new Set<string>();
  readonly metrics: NodeMetrics;
  private metricsServer: MetricsServer | undefined;
  /** The migration strategy in use: the file's at start, replaced by each applied reload. */
  private strategyInUse: MigrationStrategy;

  constructor(config: NodeConfig) {
    this.config = config;
    this.log = createLogger('node', { node: config.node.id });
    this.metrics = new NodeMetrics({ node: config.node.id, mode: config.transport.mode });
    this.strategyInUse = strategyFromFile(config.transport.migration);
    this.showStrategy();
    this.registry.observe((e) => {
      this.metrics.rpcServerSeconds.observe(
        { transport: e.transport, service: e.service, method: e.method, code: String(e.code) },
        e.ms / 1000,
      );
      this.metrics.transportBytes.inc({ transport: e.transport, direction: 'received' }, e.requestBytes);
      this.metrics.transportBytes.inc({ transport: e.transport, direction: 'sent' }, e.responseBytes);
    });
    this.registry.register(Health, this.health.impl());
    this.registry.register(ClusterService, {
      healthCheck: () => ({
        healthy: this.health.get('') === Serving.SERVING,
        message: this.driverRef?.leaderId
          ? `serving; leader ${this.driverRef.leaderId}`
          : 'serving; no leader yet',
        nodeId: config.node.id,
        uptimeSecs: BigInt(Math.floor((Date.now() - this.startedAt) / 1000)),
        version: NODE_VERSION,
      }),
    });
    this.registry.register(BlixardService, {});
  }

  get driver(): RaftDriver {
    if (!this.driverRef) throw new Error('node not started');
    return this.driverRef;
  }

  get transports(): TransportRunner | undefined {
    return this.runner;
  }

  async start(): Promise<void> {
    const cfg = this.config;
    const t = cfg.transport;
    const id = cfg.node.id;
    this.joinToken = await readJoinToken(cfg);

    this.storage = DiskStorage.open(join(cfg.node.data_dir, 'raft'), {
      warn: (message) => this.log.warn('raft storage recovered', { message }),
    });
    const loaded = this.storage.load();
    const fresh = loaded.hardState.term === 0 && loaded.snapshot === undefined && loaded.entries.length === 0;
    let persisted: PersistedState = loaded;
    if (fresh && cfg.cluster.bootstrap) {
      persisted = bootstrapState([id, ...cfg.cluster.peers.map((p) => p.id)]);
      this.storage.save({
        hardState: persisted.hardState,
        entries: [],
        ...(persisted.snapshot ? { snapshot: persisted.snapshot } : {}),
      });
      this.log.info('bootstrapped a new cluster', { voters: persisted.snapshot?.meta.confState.voters });
    } else if (fresh) {
      persisted = emptyState();
    }

    this.health.set('', Serving.NOT_SERVING);
    this.images = await ImageStore.open(join(cfg.node.data_dir, 'images'));
    this.blobServer = new BlobServer(this.images, {
      onChunkServed: (bytes) => {
        this.metrics.blobChunks.inc({ outcome: 'served' });
        this.metrics.blobBytes.inc({ direction: 'sent' }, bytes);
        this.metrics.transportBytes.inc({ transport: 'iroh', direction: 'sent' }, bytes);
      },
    });
    const admittedClients = new Set(t.iroh.admitted_clients);
    this.runner = await TransportRunner.start({
      mode: t.mode,
      registry: this.registry,
      grpc: { bindAddress: t.grpc.bind_address },
      iroh: {
        bindAddress: t.iroh.bind_address,
        secretKeyFile: t.iroh.secret_key_file,
        relay: t.iroh.relay,
        admit: (remote) => admittedClients.has(remote) || (this.book?.irohIds().has(remote) ?? false),
        protocols: [this.blobServer],
        streams: {
          requestReadTimeoutMs: t.iroh.request_read_timeout_ms,
          maxStreamsPerConnection: t.iroh.max_streams_per_connection,
          maxStreamsPerPeer: t.iroh.max_streams_per_peer,
          onRequestReadTimeout: () => this.metrics.irohRequestReadTimeouts.inc(),
          onStreamLimited: (limit) => this.metrics.irohStreamsLimited.inc({ limit }),
        },
      },
    });
    const serving = this.runner.endpoint;
    const dialEndpoint = serving
      ? () =>
          bindIrohEndpoint({
            bindAddress: withPortZero(t.iroh.bind_address),
            secretKey: SecretKey.fromBytes(serving.secretKey()),
            relay: t.iroh.relay,
          })
      : undefined;
    this.dialEndpoint = dialEndpoint;
    this.factory = new ClientFactory({
      strategy: this.strategyInUse,
      irohEndpoint: serving,
      irohConnectTimeoutMs: 2000,
      // Peers are dialled from an endpoint of each dial's own (the node's identity, a new port), never
      // from the serving endpoint: that one learns, from every incoming connection, an address of the
      // caller that is only the far end of the caller's link (a session of the hub's proxy), and would
      // dial back over it — over the wrong link, and after a cut over a session that no longer exists.
      ...(dialEndpoint ? { irohDialEndpoint: dialEndpoint } : {}),
      observer: {
        onCall: (e) => {
          const labels = {
            transport: e.transport,
            service: e.service,
            method: e.method,
            code: String(e.code),
          };
          this.metrics.rpcClientSeconds.observe(labels, e.ms / 1000);
          this.metrics.transportBytes.inc({ transport: e.transport, direction: 'sent' }, e.requestBytes);
          this.metrics.transportBytes.inc({ transport: e.transport, direction: 'received' }, e.responseBytes);
          if (e.code === Code.DEADLINE_EXCEEDED || e.code === Code.UNAVAILABLE)
            this.metrics.connectionErrors.inc({ transport: e.transport });
        },
        onFallback: (e) => this.metrics.fallbacks.inc({ service: e.service, method: e.method }),
        onFallbackRefused: (e) => this.metrics.fallbacksRefused.inc({ service: e.service, method: e.method }),
        onRaftTransportSwitch: (e) => {
          this.metrics.raftTransportSwitches.inc({ peer: e.peer, to: e.to });
          this.metrics.raftAdaptiveTransport.set({ peer: e.peer, transport: e.from }, 0);
          this.metrics.raftAdaptiveTransport.set({ peer: e.peer, transport: e.to }, 1);
          this.log.info('raft transport switched', {
            peer: e.peer,
            from: e.from,
            to: e.to,
            reason: e.reason,
          });
        },
      },
    });
    this.book = new AddressBook(cfg.cluster.peers, this.state, this.factory);
    this.peers = new PeerConnector({
      resolve: (peer) => this.book?.channel(peer),
      onTransition: (peer, tr) => {
        this.metrics.peerCircuitTransitions.inc({ peer, to: tr.to });
        // Half-open probes of a dead peer flap open ↔ half-open every backoff: log only the edges.
        if (tr.to === 'closed' || tr.from === 'closed')
          this.log.info('peer circuit breaker', { peer, to: tr.to });
      },
    });

    this.driverRef = new RaftDriver(
      {
        id,
        storage: this.storage,
        state: this.state,
        timings: {
          tickMs: cfg.raft.tick_ms,
          electionTicks: cfg.raft.election_ticks,
          heartbeatTicks: cfg.raft.heartbeat_ticks,
          snapshotEntries: cfg.raft.snapshot_entries,
        },
        send: (messages) => this.deliver(messages),
        onCommitted: (ms) => this.metrics.commitSeconds.observe(ms / 1000),
        onApplied: () => this.vmNode?.onApplied(),
        // A new leader takes over the learners an earlier one added: promote them, or remove them.
        // (Outside the ready loop that reports the change: no proposal may start inside it.)
        onRoleChange: (role) => {
          if (role !== 'leader') return;
          setImmediate(() => {
            for (const learner of this.driverRef?.status().confState.learners ?? [])
              void this.promote(learner);
          });
        },
        log: createLogger('raft', { node: id }),
      },
      persisted,
    );
    // One read barrier for every read RPC (and the reconciler's confirmed starts).
    const read: ReadBarrier = readBarrier(this.driverRef, this.state, {
      timeoutMs: cfg.raft.proposal_timeout_ms,
      attemptMs: 2 * cfg.raft.election_ticks * cfg.raft.tick_ms,
      retryMs: cfg.raft.tick_ms,
    });
    const services = raftServices({
      nodeId: id,
      mode: t.mode,
      strategy: () => this.strategyInUse,
      driver: this.driverRef,
      state: this.state,
      book: this.book,
      proposalTimeoutMs: cfg.raft.proposal_timeout_ms,
      promoteWhenCaughtUp: (peer) => void this.promote(peer),
      ...(this.joinToken !== undefined ? { joinToken: this.joinToken } : {}),
      peerReachable: (peer) => {
        const link = this.peers?.links().find((l) => l.peer === peer);
        return link !== undefined && link.state() === 'closed' && link.healthChecks > link.healthFailures;
      },
      read,
    });
    this.registry.register(ClusterService, services.cluster);
    this.registry.register(BlixardService, services.blixard);
    this.vmNode = new VmNode({
      config: cfg,
      driver: this.driverRef,
      state: this.state,
      book: this.book,
      address: () => this.advertisedAddress(),
      ...(this.joinToken !== undefined ? { joinToken: this.joinToken } : {}),
      read,
    });
    this.registry.register(ClusterService, this.vmNode.services.cluster);
    this.registry.register(BlixardService, this.vmNode.services.blixard);
    this.p2p = new P2pService({
      nodeId: id,
      store: this.images,
      state: this.state,
      driver: () => this.driver,
      book: this.book,
      endpoint: this.runner.endpoint,
      ...(this.dialEndpoint && { dialEndpoint: this.dialEndpoint }),
      irohNodeId: this.runner.irohNodeId,
      irohAddrs: this.runner.irohAddress ? [this.runner.irohAddress] : [],
      proposalTimeoutMs: cfg.raft.proposal_timeout_ms,
      read,
      fetch: { parallel: 4, requestTimeoutMs: 15_000, maxAttemptsPerChunk: 6 },
      onChunk: (outcome, bytes) => {
        this.metrics.blobChunks.inc({ outcome });
        if (outcome !== 'fetched') return;
        this.metrics.blobBytes.inc({ direction: 'received' }, bytes);
        this.metrics.transportBytes.inc({ transport: 'iroh', direction: 'received' }, bytes);
      },
      onTransfer: (outcome, seconds) => this.metrics.blobTransferSeconds.observe({ outcome }, seconds),
      log: createLogger('p2p', { node: id }),
    });
    this.registry.register(ClusterService, this.p2p.handlers());
    const p2p = this.p2p;
    this.vmNode.useImageStore((image) => p2p.ensureImage(image, this.background.signal));
    this.driverRef.start();
    await this.vmNode.start();
    this.metricsServer = await startMetricsServer(
      cfg.metrics.bind_address,
      this.metrics.registry,
      () => this.healthReport(),
      () => this.refreshGauges(),
    );
    this.health.set('', Serving.SERVING);
    if (fresh && !cfg.cluster.bootstrap) void this.joinExistingCluster();

    this.log.info('serving', {
      mode: t.mode,
      grpc: this.runner.grpcAddress,
      iroh_id: this.runner.irohNodeId,
      iroh: this.runner.irohAddress,
    });
  }

  /** The migration strategy calls to peers pick their transport by now. */
  get strategy(): MigrationStrategy {
    return this.strategyInUse;
  }

  /**
   * Re-reads the config file (SIGHUP) and applies a changed `[transport.migration]` in place: later
   * calls to every peer pick by it, no connection is dropped. A file that does not pass the schema, or
   * that changes the mode, is refused with the reason logged, and the strategy in use stays.
   */
  async reloadConfig(file: string): Promise<boolean> {
    let decision: ReturnType<typeof decideReload>;
    try {
      decision = decideReload(this.config, await readFile(file, 'utf8'), file);
    } catch (err) {
      decision = { ok: false, reason: `${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}` };
    }
    if (!decision.ok) {
      this.metrics.configReloads.inc({ outcome: 'refused' });
      this.log.warn('config reload refused', {
        file,
        reason: decision.reason,
        kept: strategyLabels(this.strategyInUse),
      });
      return false;
    }
    const from = strategyLabels(this.strategyInUse);
    this.strategyInUse = decision.strategy;
    this.config.transport.migration = strategyToFile(decision.strategy);
    this.factory?.setStrategy(decision.strategy);
    this.showStrategy();
    this.metrics.configReloads.inc({ outcome: 'applied' });
    this.log.info('migration settings reloaded', {
      file,
      from,
      to: strategyLabels(decision.strategy),
      ...(decision.deferred.length > 0 && { needs_restart: decision.deferred }),
    });
    return true;
  }

  private showStrategy(): void {
    this.metrics.migrationInfo.reset();
    this.metrics.migrationInfo.set(strategyLabels(this.strategyInUse), 1);
  }

  /** Graceful stop: hand over leadership first, so the cluster does not wait out an election. */
  async stop(): Promise<void> {
    this.background.abort();
    this.health.set('', Serving.NOT_SERVING);
    if (this.driverRef?.isLeader) {
      const moved = await this.driverRef.transferLeadership(undefined, 2000);
      this.log.info('leadership transfer before stop', { moved });
    }
    await this.vmNode?.stop();
    await this.driverRef?.stop();
    for (const outbox of this.outboxes.values()) outbox.close();
    this.peers?.stop();
    this.blobServer?.stop();
    this.p2p?.close();
    await this.factory?.close();
    await this.runner?.stop();
    await this.metricsServer?.close();
    this.storage?.close();
    this.log.info('stopped');
  }

  private deliver(messages: readonly RaftMessage[]): void {
    for (const m of messages) {
      let outbox = this.outboxes.get(m.to);
      if (!outbox) {
        const link = this.peers?.link(m.to);
        if (!link) continue; // an unknown peer: Raft retries once its address is known
        outbox = new PeerOutbox(this.config.node.id, link);
        const peer = m.to;
        outbox.onSent = (ms, count, transport) => {
          this.metrics.raftMessageSeconds.observe({ transport, peer }, ms / 1000);
          this.metrics.raftMessagesSent.inc({ transport }, count);
        };
        this.outboxes.set(m.to, outbox);
      }
      outbox.push(m);
    }
  }

  /** Gauges are read from their sources at scrape time rather than kept in step. */
  private refreshGauges(): void {
    const m = this.metrics;
    if (this.driverRef) {
      const s = this.driverRef.status();
      m.raftTerm.set(s.term);
      m.raftIsLeader.set(s.role === 'leader' ? 1 : 0);
      m.raftCommitIndex.set(s.commit);
      m.raftAppliedIndex.set(this.state.applied);
      m.leaderChanges.set(this.driverRef.leaderChanges);
      m.electionsStarted.set(this.driverRef.electionsStarted);
    }
    m.activeConnections.set({ transport: 'iroh' }, this.runner?.irohHost?.openConnections ?? 0);
    m.irohRefused.set(this.runner?.irohHost?.refused ?? 0);
    if (this.vmNode)
      for (const [state, n] of Object.entries(this.vmNode.countsByState())) m.vms.set({ state }, n);
    m.imagesStored.set(this.images?.list().length ?? 0);
    const endpoint = this.runner?.endpoint;
    if (endpoint && !endpoint.isClosed()) {
      const udp = endpoint.udpBytes();
      m.irohUdpBytes.set({ direction: 'sent' }, udp.sent);
      m.irohUdpBytes.set({ direction: 'received' }, udp.received);
    }
    for (const [peer, outbox] of this.outboxes) m.raftMessagesDropped.set({ peer }, outbox.dropped);
    for (const link of this.peers?.links() ?? []) {
      const state = link.state();
      m.peerCircuitState.set({ peer: link.peer }, state === 'closed' ? 0 : state === 'half-open' ? 1 : 2);
      m.peerHealthChecks.set({ peer: link.peer, outcome: 'ok' }, link.healthChecks - link.healthFailures);
      m.peerHealthChecks.set({ peer: link.peer, outcome: 'failed' }, link.healthFailures);
    }
  }

  private healthReport(): { ok: boolean; detail: Record<string, unknown> } {
    const s = this.driverRef?.status();
    const serving = this.health.get('') === Serving.SERVING;
    return {
      ok: serving,
      detail: {
        node: this.config.node.id,
        role: s?.role,
        leader: s?.leader,
        term: s?.term,
        applied: this.state.applied,
      },
    };
  }

  /** Where peers reach this node, as announced in JoinCluster. */
  private advertisedAddress() {
    const t = this.config.transport;
    return {
      grpc: advertised(t.grpc.bind_address, this.runner?.grpcAddress),
      irohNodeId: this.runner?.irohNodeId ?? '',
      irohAddrs: this.runner?.irohAddress ? [this.runner.irohAddress] : [],
    };
  }

  /** A fresh node that does not bootstrap asks the configured peers to add it. */
  private async joinExistingCluster(): Promise<void> {
    const cfg = this.config;
    const signal = this.background.signal;
    const request = {
      nodeId: cfg.node.id,
      address: {
        grpc: advertised(cfg.transport.grpc.bind_address, this.runner?.grpcAddress),
        irohNodeId: this.runner?.irohNodeId ?? '',
        irohAddrs: this.runner?.irohAddress ? [this.runner.irohAddress] : [],
      },
      joinToken: this.joinToken ?? '',
    };
    for (let attempt = 1; !signal.aborted; attempt++) {
      for (const peer of this.book?.configuredIds() ?? []) {
        const routed = this.book?.channel(peer);
        if (!routed || signal.aborted) continue;
        // Over gRPC when the peer has it: Iroh admits only members, which this node is not yet.
        const channel = routed.target.grpc ? routed.channel('grpc') : routed;
        try {
          const reply = await createClient(ClusterService, channel).joinCluster(request, {
            timeoutMs: 10_000,
            signal,
          });
          this.log.info('joined the cluster', { via: peer, leader: reply.leaderId, message: reply.message });
          return;
        } catch (err) {
          this.log.warn('join attempt failed', { via: peer, attempt, error: (err as Error).message });
        }
      }
      await sleep(Math.min(5000, 250 * attempt), signal);
    }
  }

  /**
   * Promotes a learner once the leader sees it caught up (the core refuses before that). A learner
   * not caught up within `learner_catch_up_timeout_ms` is removed again: one that never answers
   * would otherwise stay in the membership for ever.
   */
  private async promote(peer: string): Promise<void> {
    if (this.promoting.has(peer)) return;
    this.promoting.add(peer);
    try {
      await this.promoteOrRemove(peer);
    } finally {
      this.promoting.delete(peer);
    }
  }

  private async promoteOrRemove(peer: string): Promise<void> {
    const signal = this.background.signal;
    const timeoutMs = this.config.raft.proposal_timeout_ms;
    const until = Date.now() + this.config.raft.learner_catch_up_timeout_ms;
    let refusal = '';
    while (!signal.aborted && Date.now() < until) {
      const driver = this.driverRef;
      if (!driver?.isLeader) return;
      const conf = driver.status().confState;
      if (!conf.learners.includes(peer)) return; // promoted, or removed meanwhile
      try {
        await driver.proposeConfChange({ type: 'promote-learner', nodeId: peer }, timeoutMs);
        this.log.info('learner promoted to voter', { peer });
        return;
      } catch (err) {
        refusal = (err as Error).message;
        await sleep(200, signal);
      }
    }
    const driver = this.driverRef;
    if (signal.aborted || !driver?.isLeader || !driver.status().confState.learners.includes(peer)) return;
    this.log.warn('learner did not catch up in time; removing it', { peer, last: refusal });
    try {
      await driver.proposeConfChange({ type: 'remove-node', nodeId: peer }, timeoutMs);
      if (this.state.member(peer)) await driver.propose({ type: 'member.leave', id: peer }, timeoutMs);
      this.log.info('learner removed', { peer });
    } catch (err) {
      this.log.warn('could not remove the learner', { peer, error: (err as Error).message });
    }
  }
}

/** The strategy as metric labels (and log fields): groups comma-joined, adaptive with its threshold. */
export function strategyLabels(s: MigrationStrategy) {
  const raft = s.raftTransport;
  return {
    prefer_iroh: s.preferIroh.join(','),
    raft_transport: typeof raft === 'string' ? raft : `adaptive:${raft.adaptive.latencyThresholdMs}`,
    fallback_to_grpc: String(s.fallbackToGrpc),
  };
}

/** The address to announce: a wildcard bind is no use to a peer, the bound one on loopback is. */
function advertised(bind: string, bound: string | undefined): string {
  const host = bind.slice(0, bind.lastIndexOf(':'));
  if (host === '0.0.0.0' || host === '[::]')
    return bound?.replace(/^0\.0\.0\.0|^\[::\]/, '127.0.0.1') ?? bind;
  return bound ?? bind;
}

/** The same host with port 0: a dial endpoint binds wherever the serving one does, on a free port. */
function withPortZero(hostPort: string): string {
  return `${hostPort.slice(0, hostPort.lastIndexOf(':'))}:0`;
}
