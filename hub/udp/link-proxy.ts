/**
 * One UDP link ("proxy" in Toxiproxy's terms): datagrams from clients to `listen` go to `upstream`
 * and replies come back, through the link's toxics.
 *
 * Each client source address gets its own session with its own upstream socket, so the upstream
 * sees one peer per client (a QUIC connection keeps its 4-tuple) and replies find their way back.
 * Sessions expire after an idle period. A link that is down (enabled=false) silently drops every
 * datagram, as a cut cable does, and keeps its port so it can come back up on the same address.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ApiError } from './api-error.ts';
import {
  type ActiveToxic,
  activateToxic,
  decideFate,
  type FlowState,
  newFlowState,
} from './datagram-fate.ts';
import { formatHostPort, type HostPort, parseHostPort } from './host-port.ts';
import { SendScheduler } from './send-scheduler.ts';
import { mergeUdpToxicUpdate, parseUdpToxic, type ToxicStream, type UdpToxic } from './toxic-spec.ts';

export interface DirectionCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  packetsDropped: number;
  bytesDropped: number;
}

export interface LinkCounters {
  upstream: DirectionCounters;
  downstream: DirectionCounters;
  sessionsOpened: number;
  sessionsActive: number;
}

export interface LinkProxyConfig {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

export interface LinkProxyOptions {
  /** The run's seed; every toxic draws from a stream derived from it, the link name and the toxic name. */
  seed: number;
  /** A session silent in both directions for between a half and all of this is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** At most this many concurrent sessions; datagrams from further clients are dropped (default 4096). */
  maxSessions?: number;
}

/** Toxiproxy's proxy JSON. */
export interface LinkProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: UdpToxic[];
}

interface HeldDatagram {
  buf: Buffer;
  copies: number;
}

/** One direction of one session: the pure flow state plus what the I/O side tracks. */
interface Flow {
  state: FlowState;
  /** Datagrams of this flow waiting in the scheduler; a new one must not overtake them. */
  scheduled: number;
  held: HeldDatagram | null;
}

interface Session {
  clientAddress: string;
  clientPort: number;
  socket: dgram.Socket;
  /** Datagrams that arrived before the upstream socket finished connecting; null once connected. */
  waiting: Buffer[] | null;
  up: Flow;
  down: Flow;
  /** Set by any datagram, cleared by the idle sweep: a session found clear twice in a row is idle. */
  active: boolean;
  closed: boolean;
}

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
const MAX_WAITING_DATAGRAMS = 64;

function newCounters(): DirectionCounters {
  return { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, packetsDropped: 0, bytesDropped: 0 };
}

function newFlow(): Flow {
  return { state: newFlowState(), scheduled: 0, held: null };
}

function enlargeBuffers(socket: dgram.Socket): void {
  // Best effort: the kernel caps these at net.core.[rw]mem_max; bursts then drop in the kernel.
  try {
    socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
  } catch {}
}

async function bindSocket(address: HostPort, field: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: address.family });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      socket.close();
      const listen = formatHostPort(address.host, address.port);
      if (error.code === 'EADDRINUSE')
        reject(new ApiError(409, `address ${listen} is already in use`, field));
      else reject(new ApiError(400, `cannot bind ${listen}: ${error.message}`, field));
    };
    socket.once('error', onError);
    socket.bind(address.port, address.host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  enlargeBuffers(socket);
  return socket;
}

export class UdpLinkProxy {
  readonly name: string;
  readonly counters: LinkCounters = {
    upstream: newCounters(),
    downstream: newCounters(),
    sessionsOpened: 0,
    sessionsActive: 0,
  };
  #listen: HostPort;
  #listenText: string;
  #upstream: HostPort;
  #upstreamText: string;
  #enabled: boolean;
  #socket: dgram.Socket | null = null;
  /** Sessions by client address, then port: no string is built per datagram to look one up. */
  readonly #sessions = new Map<string, Map<number, Session>>();
  readonly #toxics = new Map<string, ActiveToxic>();
  #upChain: ActiveToxic[] = [];
  #downChain: ActiveToxic[] = [];
  readonly #scheduler = new SendScheduler();
  readonly #seed: number;
  readonly #idleTimeoutMs: number;
  readonly #maxSessions: number;
  #sweep: NodeJS.Timeout | null = null;

  private constructor(
    config: LinkProxyConfig,
    listen: HostPort,
    upstream: HostPort,
    options: LinkProxyOptions,
  ) {
    this.name = config.name;
    this.#listen = listen;
    this.#listenText = config.listen;
    this.#upstream = upstream;
    this.#upstreamText = config.upstream;
    this.#enabled = config.enabled;
    this.#seed = options.seed;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#maxSessions = options.maxSessions ?? 4096;
  }

  /** Validates the config and binds the listen address (the port is bound even while disabled). */
  static async start(config: LinkProxyConfig, options: LinkProxyOptions): Promise<UdpLinkProxy> {
    if (typeof config.name !== 'string' || config.name.length === 0) {
      throw new ApiError(400, 'is required', 'name');
    }
    const listen = parseHostPort(config.listen, 'listen', { allowPortZero: true });
    const upstream = parseHostPort(config.upstream, 'upstream', { allowPortZero: false });
    const proxy = new UdpLinkProxy(config, listen, upstream, options);
    await proxy.#bind(listen);
    return proxy;
  }

  get listen(): string {
    return this.#listenText;
  }
  get upstream(): string {
    return this.#upstreamText;
  }
  get enabled(): boolean {
    return this.#enabled;
  }
  /** The bound port (useful when listen asked for port 0). */
  get port(): number {
    return this.#listen.port;
  }

  toJSON(): LinkProxyJson {
    return {
      name: this.name,
      listen: this.#listenText,
      upstream: this.#upstreamText,
      enabled: this.#enabled,
      toxics: this.toxics(),
    };
  }

  toxics(): UdpToxic[] {
    return [...this.#toxics.values()].map((t) => t.spec);
  }

  toxic(name: string): UdpToxic {
    const toxic = this.#toxics.get(name);
    if (!toxic) throw new ApiError(404, `toxic '${name}' not found on proxy '${this.name}'`, 'toxic');
    return toxic.spec;
  }

  /** Same semantics as Toxiproxy's proxy update: fields left out keep their value. */
  async update(input: { listen?: unknown; upstream?: unknown; enabled?: unknown }): Promise<void> {
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
      throw new ApiError(400, 'must be true or false', 'enabled');
    }
    const listenText = input.listen === undefined ? this.#listenText : input.listen;
    const upstreamText = input.upstream === undefined ? this.#upstreamText : input.upstream;
    const listen = parseHostPort(listenText, 'listen', { allowPortZero: true });
    const upstream = parseHostPort(upstreamText, 'upstream', { allowPortZero: false });
    if (listenText !== this.#listenText) {
      const old = this.#socket;
      await this.#bind(listen); // throws before anything changed when the new address is taken
      this.#closeSessions();
      old?.close();
    }
    if (upstreamText !== this.#upstreamText) {
      this.#upstream = upstream;
      this.#upstreamText = upstreamText as string;
      this.#closeSessions();
    }
    if (input.enabled === false && this.#enabled) {
      this.#closeSessions();
      this.#scheduler.clear();
    }
    if (input.enabled !== undefined) this.#enabled = input.enabled;
  }

  addToxic(body: unknown): UdpToxic {
    const spec = parseUdpToxic(body);
    if (this.#toxics.has(spec.name)) {
      throw new ApiError(409, `toxic '${spec.name}' already exists on proxy '${this.name}'`, 'name');
    }
    this.#toxics.set(spec.name, activateToxic(spec, this.#seed, this.name, performance.now()));
    this.#rebuildChains();
    return spec;
  }

  updateToxic(name: string, body: unknown): UdpToxic {
    const current = this.#toxics.get(name);
    if (!current) throw new ApiError(404, `toxic '${name}' not found on proxy '${this.name}'`, 'toxic');
    const spec = mergeUdpToxicUpdate(current.spec, body);
    // Keeps its place in the chain and its random stream, as an update is not a new toxic.
    this.#toxics.set(name, { ...current, spec });
    this.#rebuildChains();
    return spec;
  }

  removeToxic(name: string): void {
    if (!this.#toxics.delete(name)) {
      throw new ApiError(404, `toxic '${name}' not found on proxy '${this.name}'`, 'toxic');
    }
    this.#rebuildChains();
  }

  /** Toxiproxy's reset for one proxy: enabled, no toxics. Counters keep counting (Prometheus counters). */
  reset(): void {
    this.#toxics.clear();
    this.#rebuildChains();
    this.#enabled = true;
  }

  async close(): Promise<void> {
    this.#closeSessions();
    this.#scheduler.clear();
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = null;
    const socket = this.#socket;
    this.#socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #rebuildChains(): void {
    const all = [...this.#toxics.values()];
    this.#upChain = all.filter((t) => t.spec.stream === 'upstream');
    this.#downChain = all.filter((t) => t.spec.stream === 'downstream');
    // With no toxic left, held datagrams go out now instead of waiting for their hold to end.
    for (const byPort of this.#sessions.values()) {
      for (const session of byPort.values()) {
        if (!this.#upChain.some((t) => t.spec.type === 'reorder')) this.#releaseHeld(session, 'upstream');
        if (!this.#downChain.some((t) => t.spec.type === 'reorder')) this.#releaseHeld(session, 'downstream');
      }
    }
  }

  async #bind(listen: HostPort): Promise<void> {
    const socket = await bindSocket(listen, 'listen');
    const bound = socket.address();
    this.#socket = socket;
    this.#listen = { ...listen, port: bound.port };
    this.#listenText = formatHostPort(listen.host, bound.port);
    socket.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo.address, rinfo.port));
    // A stray ICMP error or a send to a vanished client must not take the link down.
    socket.on('error', () => {});
    if (!this.#sweep) {
      this.#sweep = setInterval(() => this.#sweepIdle(), Math.max(50, this.#idleTimeoutMs / 2));
      this.#sweep.unref();
    }
  }

  #fromClient(msg: Buffer, address: string, port: number): void {
    const c = this.counters.upstream;
    c.packetsIn++;
    c.bytesIn += msg.length;
    if (!this.#enabled) {
      this.#dropped(c, msg.length);
      return;
    }
    const session = this.#sessions.get(address)?.get(port) ?? this.#openSession(address, port);
    if (!session) {
      this.#dropped(c, msg.length);
      return;
    }
    this.#forward(session, 'upstream', msg);
  }

  #fromUpstream(session: Session, msg: Buffer): void {
    const c = this.counters.downstream;
    c.packetsIn++;
    c.bytesIn += msg.length;
    if (!this.#enabled || session.closed) {
      this.#dropped(c, msg.length);
      return;
    }
    this.#forward(session, 'downstream', msg);
  }

  /**
   * Passes a datagram on: straight out when no toxic acts on its stream and nothing of its flow is
   * still scheduled (so it cannot overtake), else through the toxics.
   */
  #forward(session: Session, stream: ToxicStream, msg: Buffer): void {
    session.active = true;
    const chain = stream === 'upstream' ? this.#upChain : this.#downChain;
    const flow = stream === 'upstream' ? session.up : session.down;
    if (chain.length > 0 || flow.scheduled > 0) this.#throughToxics(chain, session, stream, msg);
    else if (stream === 'upstream') this.#sendUp(session, msg);
    else this.#sendDown(session, msg);
  }

  #sendUp(session: Session, msg: Buffer): void {
    const c = this.counters.upstream;
    if (session.closed) {
      this.#dropped(c, msg.length);
      return;
    }
    if (session.waiting) {
      if (session.waiting.length >= MAX_WAITING_DATAGRAMS) {
        this.#dropped(c, msg.length);
        return;
      }
      session.waiting.push(msg);
      return;
    }
    session.socket.send(msg);
    c.packetsOut++;
    c.bytesOut += msg.length;
  }

  #sendDown(session: Session, msg: Buffer): void {
    const c = this.counters.downstream;
    const socket = this.#socket;
    if (!socket) {
      this.#dropped(c, msg.length);
      return;
    }
    socket.send(msg, session.clientPort, session.clientAddress);
    c.packetsOut++;
    c.bytesOut += msg.length;
  }

  #dropped(c: DirectionCounters, bytes: number): void {
    c.packetsDropped++;
    c.bytesDropped += bytes;
  }

  #throughToxics(chain: ActiveToxic[], session: Session, stream: ToxicStream, msg: Buffer): void {
    const flow = stream === 'upstream' ? session.up : session.down;
    const counters = stream === 'upstream' ? this.counters.upstream : this.counters.downstream;
    const now = performance.now();
    const fate = decideFate(chain, flow.state, msg.length, now);
    if (fate.drop !== null) {
      this.#dropped(counters, msg.length);
      if (fate.closeSession) this.#closeSession(session);
      return;
    }
    if (fate.hold && !flow.held) {
      const held: HeldDatagram = { buf: msg, copies: fate.copies };
      flow.held = held;
      // Released by the flow's next datagram, or here when none comes in time.
      this.#scheduler.at(Math.max(fate.dueAt, now + fate.holdMaxMs), () => {
        if (flow.held === held) this.#releaseHeld(session, stream);
      });
      return;
    }
    this.#deliver(session, stream, flow, msg, fate.copies, fate.dueAt, now);
    const held = flow.held;
    if (held) {
      flow.held = null;
      this.#deliver(session, stream, flow, held.buf, held.copies, fate.dueAt, now);
    }
  }

  #releaseHeld(session: Session, stream: ToxicStream): void {
    const flow = stream === 'upstream' ? session.up : session.down;
    const held = flow.held;
    if (!held) return;
    flow.held = null;
    const now = performance.now();
    this.#deliver(session, stream, flow, held.buf, held.copies, Math.max(now, flow.state.lastDueAt), now);
  }

  #deliver(
    session: Session,
    stream: ToxicStream,
    flow: Flow,
    msg: Buffer,
    copies: number,
    dueAt: number,
    now: number,
  ): void {
    const send =
      stream === 'upstream' ? () => this.#sendUp(session, msg) : () => this.#sendDown(session, msg);
    for (let i = 0; i <= copies; i++) {
      if (dueAt <= now && flow.scheduled === 0) {
        send();
        continue;
      }
      flow.scheduled++;
      this.#scheduler.at(dueAt, () => {
        flow.scheduled--;
        send();
      });
    }
  }

  #openSession(address: string, port: number): Session | null {
    if (this.counters.sessionsActive >= this.#maxSessions) return null;
    const socket = dgram.createSocket({ type: this.#upstream.family });
    const session: Session = {
      clientAddress: address,
      clientPort: port,
      socket,
      waiting: [],
      up: newFlow(),
      down: newFlow(),
      active: true,
      closed: false,
    };
    let byPort = this.#sessions.get(address);
    if (!byPort) {
      byPort = new Map();
      this.#sessions.set(address, byPort);
    }
    byPort.set(port, session);
    this.counters.sessionsOpened++;
    this.counters.sessionsActive++;
    socket.on('message', (msg) => this.#fromUpstream(session, msg));
    // ICMP port unreachable from a restarting upstream surfaces here; the session stays for when it is back.
    socket.on('error', () => {});
    // A connected socket sends without an address lookup per datagram and only hears from the upstream.
    socket.connect(this.#upstream.port, this.#upstream.host, (error?: Error) => {
      if (session.closed) return;
      if (error) {
        this.#closeSession(session);
        return;
      }
      enlargeBuffers(socket);
      const waiting = session.waiting ?? [];
      session.waiting = null;
      for (const msg of waiting) this.#sendUp(session, msg);
    });
    return session;
  }

  #closeSession(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    // Datagrams still waiting for the upstream socket (e.g. its name did not resolve) are lost.
    for (const msg of session.waiting ?? []) this.#dropped(this.counters.upstream, msg.length);
    session.waiting = null;
    const byPort = this.#sessions.get(session.clientAddress);
    byPort?.delete(session.clientPort);
    if (byPort?.size === 0) this.#sessions.delete(session.clientAddress);
    this.counters.sessionsActive--;
    try {
      session.socket.close();
    } catch {}
  }

  #closeSessions(): void {
    for (const byPort of [...this.#sessions.values()]) {
      for (const session of [...byPort.values()]) this.#closeSession(session);
    }
  }

  #sweepIdle(): void {
    for (const byPort of [...this.#sessions.values()]) {
      for (const session of [...byPort.values()]) {
        if (!session.active && session.up.scheduled === 0 && session.down.scheduled === 0) {
          this.#closeSession(session);
        } else {
          session.active = false;
        }
      }
    }
  }
}
