/** The peer connector: per-peer links with circuit breakers, health checks, backoff and bounded queues. */
export { type BackoffOptions, backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
export { BoundedBuffer } from './bounded-buffer.ts';
export {
  type BreakerOptions,
  type BreakerState,
  type BreakerTransition,
  CircuitBreaker,
  DEFAULT_BREAKER,
} from './circuit-breaker.ts';
export { DEFAULT_LINK, PeerConnector, type PeerConnectorOptions } from './peer-connector.ts';
export { PeerLink, type PeerLinkOptions } from './peer-link.ts';
export { PeerQueue, type PeerQueueOptions } from './peer-queue.ts';
