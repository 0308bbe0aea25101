import type { TransportKind } from './vocabulary.ts';

export interface CallOptions {
  /** Deadline relative to now; the call fails with DEADLINE_EXCEEDED after it. */
  timeoutMs?: number;
  /** Aborting cancels the call (CANCELLED) on both ends. */
  signal?: AbortSignal;
}

/**
 * A byte-level client for one peer over one transport. Methods are named by
 * the proto service's full name and the method name, so a caller can also
 * name methods the peer does not know (and see UNIMPLEMENTED).
 */
export interface RpcChannel {
  readonly transport: TransportKind;
  unary(service: string, method: string, request: Uint8Array, opts?: CallOptions): Promise<Uint8Array>;
  serverStream(
    service: string,
    method: string,
    request: Uint8Array,
    opts?: CallOptions,
  ): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}
