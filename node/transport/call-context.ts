import type { DescMethod } from '@bufbuild/protobuf';
import type { ServiceGroup } from './service-groups.ts';
import type { TransportKind } from './vocabulary.ts';

/** What a handler knows about the call it serves, whichever transport carried it. */
export interface CallContext {
  /** Aborted when the caller cancels, its deadline passes or the server stops. */
  readonly signal: AbortSignal;
  readonly transport: TransportKind;
  /** Remote socket address (gRPC) or Iroh node id. */
  readonly peer: string;
  readonly method: DescMethod;
  readonly group: ServiceGroup;
}
