/**
 * Clients to peers, one routed channel per peer: each call goes over the
 * transport the strategy picks for its service group, with the fallback rule
 * applied and counted. Connections (one HTTP/2, one QUIC per peer) are reused.
 */

import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import {
  type AdaptiveRaftState,
  type AdaptiveReading,
  type AdaptiveSwitch,
  initialAdaptiveRaft,
  nextAdaptiveRaft,
} from './adaptive-raft.ts';
import type { CallOptions, RpcChannel } from './channel.ts';
import { GrpcChannel } from './grpc-channel.ts';
import { answeredByPeer, IrohChannel, IrohConnectError } from './iroh-channel.ts';
import type { IrohPeerAddress } from './iroh-endpoint.ts';
import type { Endpoint } from './native-iroh.ts';
import { groupOfPath } from './service-groups.ts';
import { Code, codeName, RpcError, toRpcError } from './status.ts';
import { chooseTransport, fallbackDecision } from './strategy.ts';
import { createClient, type TypedClient } from './typed-client.ts';
import type { MigrationStrategy, TransportKind, TransportMode } from './vocabulary.ts';

export interface PeerTarget {
  id: string;
  /** What the peer serves; dual when it has both addresses. */
  mode?: TransportMode;
  grpc?: string | undefined;
  iroh?: IrohPeerAddress | undefined;
}

export interface CallObserver {
  /** After every call: which transport carried it and how it ended. */
  onCall?(event: {
    peer: string;
    service: string;
    method: string;
    transport: TransportKind;
    code: number;
    ms: number;
    /** Message bytes sent (request) and received (reply), for bytes-per-transport figures. */
    requestBytes: number;
    responseBytes: number;
  }): void;
  onFallback?(event: { peer: string; service: string; method: string; reason: string }): void;
  /** An Iroh call that failed after its request may have reached the peer, not repeated over gRPC. */
  onFallbackRefused?(event: { peer: string; service: string; method: string; reason: string }): void;
  /** The adaptive Raft rule moved Raft to this peer from one transport to the other, and why. */
  onRaftTransportSwitch?(event: AdaptiveSwitch & { peer: string }): void;
}

export interface ClientFactoryOptions {
  strategy: MigrationStrategy;
  /** Needed for Iroh; a factory without one speaks gRPC only. */
  irohEndpoint?: Endpoint | undefined;
  observer?: CallObserver;
  /** How long an Iroh handshake may take before the peer counts as unreachable. */
  irohConnectTimeoutMs?: number;
  /**
   * Binds a fresh endpoint (same identity as `irohEndpoint`) for each Iroh dial to a peer; without
   * it peers are dialled from `irohEndpoint`. See IrohChannelOptions.dialEndpoint.
   */
  irohDialEndpoint?: () => Promise<Endpoint>;
}

/**
 * Once Iroh to a peer has failed, calls that would fall back go straight to gRPC (counted as
 * fallbacks) until a probe — a Ping in the background, first after this long, then twice as long each
 * time it fails, up to IROH_PROBE_MAX_MS — gets through. Each call would otherwise wait out a handshake
 * first, and Raft's heartbeats with it.
 */
const IROH_PROBE_FIRST_MS = 1000;
const IROH_PROBE_MAX_MS = 8000;

/** How often the adaptive rule takes a latency reading of a peer (an Iroh Ping). */
const LATENCY_REFRESH_MS = 1000;

export class RoutedChannel implements RpcChannel {
  readonly transport: TransportKind = 'grpc';
  readonly target: PeerTarget;
  readonly mode: TransportMode;
  fallbacks = 0;
  private readonly factory: ClientFactoryOptions;
  private grpcChannel: GrpcChannel | undefined;
  private irohChannel: IrohChannel | undefined;
  private irohLatencyMs: number | undefined;
  private latencyReadAt = 0;
  /** Iroh to this peer failed and no probe has got through since. */
  private irohDown = false;
  private probeAt = 0;
  private probeBackoffMs = IROH_PROBE_FIRST_MS;
  private probing = false;
  private adaptive: AdaptiveRaftState = initialAdaptiveRaft();

  constructor(target: PeerTarget, factory: ClientFactoryOptions) {
    this.target = target;
    this.factory = factory;
    const serves =
      target.grpc !== undefined && target.iroh !== undefined ? 'dual' : target.iroh ? 'iroh' : 'grpc';
    this.mode = target.mode ?? serves;
    if (this.mode !== 'iroh' && target.grpc === undefined)
      throw new Error(`peer ${target.id}: no gRPC address`);
    if (this.mode !== 'grpc' && target.iroh === undefined)
      throw new Error(`peer ${target.id}: no Iroh address`);
  }

  /** The transport the next call of `service/method` would take. */
  pick(service: string, method: string): TransportKind {
    const chosen = chooseTransport(this.factory.strategy, {
      group: groupOfPath(`${service}/${method}`),
      mode: this.mode,
      adaptiveRaft: this.adaptive.transport,
    });
    if (chosen === 'iroh' && this.factory.irohEndpoint === undefined) return 'grpc';
    return chosen;
  }

  channel(kind: TransportKind): RpcChannel {
    if (kind === 'grpc') {
      if (this.target.grpc === undefined)
        throw new RpcError(Code.UNAVAILABLE, `peer ${this.target.id} serves no gRPC`);
      this.grpcChannel ??= new GrpcChannel(this.target.grpc);
      return this.grpcChannel;
    }
    const endpoint = this.factory.irohEndpoint;
    if (this.target.iroh === undefined || endpoint === undefined) {
      throw new RpcError(Code.UNAVAILABLE, `peer ${this.target.id}: no Iroh route`);
    }
    const timeout = this.factory.irohConnectTimeoutMs;
    const dial = this.factory.irohDialEndpoint;
    this.irohChannel ??= new IrohChannel(endpoint, this.target.iroh, {
      ...(timeout ? { connectTimeoutMs: timeout } : {}),
      ...(dial ? { dialEndpoint: dial } : {}),
    });
    return this.irohChannel;
  }

  async unary(service: string, method: string, request: Uint8Array, opts?: CallOptions): Promise<Uint8Array> {
    this.refreshLatency(service, method);
    const kind = this.pick(service, method);
    const strategy = this.factory.strategy;
    if (kind === 'iroh' && strategy.fallbackToGrpc && this.mode === 'dual' && this.irohDown) {
      this.probeIroh();
      return this.fallBack(service, method, request, opts, 'Iroh unreachable since its last failure');
    }
    try {
      return await this.observe(kind, service, method, request.length, () =>
        this.channel(kind).unary(service, method, request, opts),
      );
    } catch (err) {
      const status = toRpcError(err);
      if (kind === 'iroh' && isRaft(service, method) && unanswered(status))
        this.adapt({ failed: `${codeName(status.code)}: ${status.message}` });
      // A connect failure never sent the request; any other may have run it on the peer.
      const sent = !(err instanceof IrohConnectError);
      const path = `${service}/${method}`;
      const decision = fallbackDecision(this.factory.strategy, kind, this.mode, status, path, sent);
      if (decision === 'no') throw status;
      // The path failed (not the peer's own answer): Iroh is down until a probe gets through.
      if (!answeredByPeer(err)) this.markIrohDown();
      if (decision === 'unsafe') {
        this.factory.observer?.onFallbackRefused?.({
          peer: this.target.id,
          service,
          method,
          reason: status.message,
        });
        throw new RpcError(
          Code.UNAVAILABLE,
          `${status.message}; not retried over gRPC: ${method} may already have run on ${this.target.id}`,
        );
      }
      return this.fallBack(service, method, request, opts, status.message);
    }
  }

  private markIrohDown(): void {
    if (this.irohDown) return;
    this.irohDown = true;
    this.probeBackoffMs = IROH_PROBE_FIRST_MS;
    this.probeAt = performance.now() + this.probeBackoffMs;
  }

  /** When due, one Ping over Iroh in the background: through, calls go back to Iroh; not, wait longer. */
  private probeIroh(): void {
    if (this.probing || performance.now() < this.probeAt) return;
    this.probing = true;
    const timeoutMs = this.factory.irohConnectTimeoutMs ?? 2000;
    void (this.channel('iroh') as IrohChannel)
      .ping({ timeoutMs })
      .then(
        () => {
          this.irohDown = false;
        },
        () => {
          this.probeBackoffMs = Math.min(IROH_PROBE_MAX_MS, this.probeBackoffMs * 2);
          this.probeAt = performance.now() + this.probeBackoffMs;
        },
      )
      .finally(() => {
        this.probing = false;
      });
  }

  private fallBack(
    service: string,
    method: string,
    request: Uint8Array,
    opts: CallOptions | undefined,
    reason: string,
  ): Promise<Uint8Array> {
    this.fallbacks += 1;
    this.factory.observer?.onFallback?.({ peer: this.target.id, service, method, reason });
    return this.observe('grpc', service, method, request.length, () =>
      this.channel('grpc').unary(service, method, request, opts),
    );
  }

  serverStream(
    service: string,
    method: string,
    request: Uint8Array,
    opts?: CallOptions,
  ): AsyncIterable<Uint8Array> {
    // Streams do not fall back: part of a stream may already have been consumed.
    return this.channel(this.pick(service, method)).serverStream(service, method, request, opts);
  }

  /** The Iroh round trip (Ping) to this peer as the adaptive rule last measured it, in ms. */
  get measuredIrohLatencyMs(): number | undefined {
    return this.irohLatencyMs;
  }

  async close(): Promise<void> {
    await Promise.all([this.grpcChannel?.close(), this.irohChannel?.close()]);
  }

  private async observe(
    kind: TransportKind,
    service: string,
    method: string,
    requestBytes: number,
    call: () => Promise<Uint8Array>,
  ): Promise<Uint8Array> {
    const started = performance.now();
    let code: number = Code.OK;
    let responseBytes = 0;
    try {
      const reply = await call();
      responseBytes = reply.length;
      return reply;
    } catch (err) {
      code = toRpcError(err).code;
      throw err;
    } finally {
      this.factory.observer?.onCall?.({
        peer: this.target.id,
        service,
        method,
        transport: kind,
        code,
        ms: performance.now() - started,
        requestBytes,
        responseBytes,
      });
    }
  }

  /** Where the adaptive Raft rule has Raft to this peer now. */
  get adaptiveRaftTransport(): TransportKind {
    return this.adaptive.transport;
  }

  /**
   * Adaptive Raft needs latency readings: a Ping over the peer's Iroh connection, at most once a
   * second while Raft sends. Not QUIC's own RTT estimate: on a connection that carries little it
   * stays near QUIC's initial guess (hundreds of ms) for a long time.
   */
  private refreshLatency(service: string, method: string): void {
    const rule = this.factory.strategy.raftTransport;
    if (typeof rule === 'string' || this.mode !== 'dual' || !isRaft(service, method)) return;
    const now = Date.now();
    if (now - this.latencyReadAt < LATENCY_REFRESH_MS) return;
    this.latencyReadAt = now;
    const channel = this.channel('iroh') as IrohChannel;
    const timeoutMs = Math.max(LATENCY_REFRESH_MS, 4 * rule.adaptive.latencyThresholdMs);
    void channel.ping({ timeoutMs }).then(
      (ms) => {
        this.irohLatencyMs = ms;
        this.adapt({ latencyMs: ms });
      },
      (err: Error) => {
        this.irohLatencyMs = undefined;
        this.adapt({ failed: `ping: ${err.message.split('\n')[0]}` });
      },
    );
  }

  private adapt(reading: AdaptiveReading): void {
    const rule = this.factory.strategy.raftTransport;
    if (typeof rule === 'string') return;
    const next = nextAdaptiveRaft(
      this.adaptive,
      reading,
      rule.adaptive.latencyThresholdMs,
      performance.now(),
    );
    this.adaptive = next.state;
    if (next.switched)
      this.factory.observer?.onRaftTransportSwitch?.({ ...next.switched, peer: this.target.id });
  }
}

const isRaft = (service: string, method: string) => groupOfPath(`${service}/${method}`) === 'raft';
/** The peer gave no answer: the call failures that count against a transport. */
const unanswered = (e: RpcError) => e.code === Code.UNAVAILABLE || e.code === Code.DEADLINE_EXCEEDED;

export class ClientFactory {
  private readonly options: ClientFactoryOptions;
  private readonly channels = new Map<string, RoutedChannel>();

  constructor(options: ClientFactoryOptions) {
    this.options = options;
  }

  /** The strategy every call picks its transport by, from now on. */
  get strategy(): MigrationStrategy {
    return this.options.strategy;
  }

  /**
   * Replaces the strategy (a config reload): every later call of every peer's channel picks by it;
   * open connections stay, calls in flight finish on the transport they took.
   */
  setStrategy(strategy: MigrationStrategy): void {
    this.options.strategy = strategy;
  }

  /** The routed channel for a peer, created once and reused. */
  channel(target: PeerTarget): RoutedChannel {
    let channel = this.channels.get(target.id);
    if (channel === undefined) {
      channel = new RoutedChannel(target, this.options);
      this.channels.set(target.id, channel);
    }
    return channel;
  }

  client<S extends GenService<GenServiceMethods>>(service: S, target: PeerTarget): TypedClient<S> {
    return createClient(service, this.channel(target));
  }

  get fallbacks(): number {
    let total = 0;
    for (const channel of this.channels.values()) total += channel.fallbacks;
    return total;
  }

  async close(): Promise<void> {
    await Promise.all([...this.channels.values()].map((c) => c.close()));
    this.channels.clear();
  }
}
