/**
 * The project's Iroh binding (native/iroh, built by `make setup`): bytes
 * cross as Buffers, never as arrays of numbers. Besides endpoints,
 * connections and bi streams it has the two calls the RPC hot path uses:
 * `Connection.call` (open a stream, write a request frame, read the whole
 * reply frame: one crossing per call) and `Connection.acceptRequests` (whole
 * request frames, in batches when several are ready).
 *
 * The addon is loaded on first use from native/iroh/dist/blixard_iroh.node,
 * or from BLIXARD_IROH_NATIVE when set.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface BindOptions {
  /** host:port for the UDP socket; port 0 picks a free one. */
  bindAddr: string;
  /** 32 bytes; a fresh key when absent. */
  secretKey?: Uint8Array;
  alpns: string[];
  /** Relay URLs; absent or empty disables relays. */
  relayUrls?: string[];
}

export interface EndpointInfo {
  nodeId: string;
  addrs: string[];
  relayUrl?: string | null;
}

export interface Endpoint {
  id(): string;
  /** This endpoint's secret key, 32 bytes (SecretKey.fromBytes wraps it). */
  secretKey(): Buffer;
  /** UDP payload bytes sent and received over IPv4, IPv6 and relays. */
  udpBytes(): { sent: number; received: number };
  boundSockets(): string[];
  addr(): EndpointInfo;
  connect(nodeId: string, addrs: string[], alpn: string, relayUrl?: string): Promise<Connection>;
  /** The next connection attempt; null once the endpoint is closed. */
  acceptNext(): Promise<Incoming | null>;
  close(): Promise<void>;
  isClosed(): boolean;
}

export interface Incoming {
  /** Completes the handshake. */
  accept(): Promise<Connection>;
  refuse(): void;
}

export interface ConnectionStats {
  udpTxDatagrams: number;
  udpTxBytes: number;
  udpRxDatagrams: number;
  udpRxBytes: number;
  lostPackets: number;
  lostBytes: number;
}

export interface PathInfo {
  /** ip:port, or the relay URL. */
  remoteAddr: string;
  isIp: boolean;
  isRelay: boolean;
  isSelected: boolean;
  rttMs: number;
}

export interface SelectedPath {
  /** ip:port, or the relay URL. */
  remoteAddr: string;
  isRelay: boolean;
  rttMs: number;
}

export interface RequestFrames {
  frames: Buffer[];
  /** Per frame: the read deadline passed before the frame was whole. */
  timedOut: boolean[];
}

export interface RequestBatch {
  readonly length: number;
  streams(): BiStream[];
  takeFrames(): RequestFrames;
}

export interface Connection {
  remoteId(): string;
  alpn(): string;
  openBi(): Promise<BiStream>;
  acceptBi(): Promise<BiStream>;
  /** The peer's next bi stream and every further one already waiting, up to `max`. */
  acceptBis(max: number): Promise<BiStream[]>;
  /**
   * One call in one crossing: a stream is opened, `request` (a whole frame)
   * written, one reply frame read (payload at most `maxPayload`; a header
   * declaring more comes back alone; a stream that ends early comes back cut
   * short) and the stream finished. `timeoutMs` and `cancelId` reset the
   * stream and reject with "deadline exceeded" / "call cancelled".
   */
  call(
    request: Uint8Array,
    maxPayload: number,
    timeoutMs?: number,
    cancelId?: number,
    finishFirst?: boolean,
  ): Promise<Buffer>;
  cancelCall(cancelId: number, code: number): void;
  /** Waits for at least one whole request frame; an empty batch means the connection closed. */
  acceptRequests(maxBatch: number, maxPayload: number, readTimeoutMs?: number): Promise<RequestBatch>;
  /** How many bi streams the peer may have open at once. */
  setMaxConcurrentBiStreams(count: number): void;
  close(code: number, reason: string): void;
  closeReason(): string | null;
  closed(): Promise<string>;
  rtt(): number | null;
  paths(): PathInfo[];
  selectedPath(): SelectedPath | null;
  stats(): ConnectionStats;
}

export interface BiStream {
  readonly send: SendStream;
  readonly recv: RecvStream;
}

export interface SendStream {
  writeAll(data: Uint8Array, finish?: boolean): Promise<void>;
  finish(): Promise<void>;
  /** Abandons the stream (the peer's reads fail with `code`), once a write in progress lets go. */
  reset(code: number): Promise<void>;
}

export interface RecvStream {
  /**
   * The stream's first chunk when `acceptBis` already read it (a synchronous call, no promise);
   * null otherwise. Reads after it go on where it left off.
   */
  takeFirstChunk(): Buffer | null;
  /** Up to maxBytes as they arrive; null at the end of the stream. */
  read(maxBytes: number): Promise<Buffer | null>;
  readExact(size: number): Promise<Buffer>;
  readToEnd(sizeLimit: number): Promise<Buffer>;
  /** One whole frame, or what arrived of it before the stream ended. */
  readFrame(maxPayload: number, timeoutMs?: number): Promise<Buffer>;
  /** Asks the peer to stop sending (its writes fail with `code`), once a read in progress lets go. */
  stop(code: number): Promise<void>;
}

interface NativeModule {
  Endpoint: { bind(options: BindOptions): Promise<Endpoint> };
  generateSecretKey(): Buffer;
  nodeIdOf(secret: Uint8Array): string;
  parseNodeId(text: string): string;
}

/** Where `make setup` puts the built addon. */
export const NATIVE_IROH_PATH = fileURLToPath(
  new URL('../../native/iroh/dist/blixard_iroh.node', import.meta.url),
);

let loaded: NativeModule | undefined;

function native(): NativeModule {
  if (loaded !== undefined) return loaded;
  const path = process.env.BLIXARD_IROH_NATIVE || NATIVE_IROH_PATH;
  if (!existsSync(path)) {
    throw new Error(
      `Iroh native binding not found at ${path}: run \`make setup\` (it builds native/iroh with cargo)`,
    );
  }
  try {
    loaded = createRequire(import.meta.url)(path) as NativeModule;
  } catch (err) {
    throw new Error(`Iroh native binding at ${path} does not load: ${(err as Error).message}`);
  }
  return loaded;
}

/** Binds an endpoint (minimal preset: no discovery; relays only when URLs are given). */
export function bindEndpoint(options: BindOptions): Promise<Endpoint> {
  return native().Endpoint.bind(options);
}

/** The canonical text of a node id; throws "invalid Iroh node id '…'" when it is not one. */
export function parseNodeId(text: string): string {
  return native().parseNodeId(text);
}

/** An ed25519 secret key: an endpoint's identity. */
export class SecretKey {
  readonly #bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  static generate(): SecretKey {
    return new SecretKey(native().generateSecretKey());
  }

  static fromBytes(bytes: Uint8Array): SecretKey {
    if (bytes.length !== 32) throw new Error(`secret key must be 32 bytes, got ${bytes.length}`);
    return new SecretKey(Buffer.from(bytes));
  }

  toBytes(): Buffer {
    return Buffer.from(this.#bytes);
  }

  /** The node id this key signs for. */
  public(): string {
    return native().nodeIdOf(this.#bytes);
  }
}
