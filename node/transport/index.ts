/** The dual-transport RPC core: one registry of handlers, served and called over gRPC and Iroh. */

export { ADAPTIVE_RAFT_TUNING } from './adaptive-raft.ts';
export type { CallContext } from './call-context.ts';
export type { CallOptions, RpcChannel } from './channel.ts';
export { ClientFactory, type PeerTarget, RoutedChannel } from './client-factory.ts';
// The Iroh framing, for other protocols on the same format (blixard/blobs/1) and for tests and
// benchmarks that speak it raw.
export { decodeResponse } from './envelope.ts';
export { parseErrorText } from './error-text.ts';
export { encodeFrame, FrameType, newRequestId } from './frame.ts';
export { GrpcChannel } from './grpc-channel.ts';
export { GrpcServer } from './grpc-server.ts';
export { HealthState, Serving } from './health-service.ts';
export { IrohChannel, IrohConnectError } from './iroh-channel.ts';
export { IrohDialer, type IrohDialerOptions } from './iroh-dialer.ts';
export {
  BLOBS_ALPN,
  bindIrohEndpoint,
  boundAddress,
  dial,
  type EndpointAddr,
  firstLine,
  type IrohPeerAddress,
  RPC_ALPN,
  toEndpointAddr,
} from './iroh-endpoint.ts';
export { IrohHost, type IrohProtocol } from './iroh-host.ts';
export { loadOrCreateSecretKey, secretKeyFromHex, secretKeyToHex } from './iroh-identity.ts';
export { IrohProtocolBase } from './iroh-protocol-base.ts';
export { FrameReader, parseFrame, readFrame, writeFrame } from './iroh-stream.ts';
export { MAX_FRAME_PAYLOAD_BYTES, MAX_MESSAGE_BYTES } from './limits.ts';
// The project's Iroh binding (native/iroh).
export {
  type BiStream,
  bindEndpoint,
  type Connection,
  type ConnectionStats,
  type Endpoint,
  NATIVE_IROH_PATH,
  type PathInfo,
  parseNodeId,
  type RecvStream,
  SecretKey,
  type SelectedPath,
  type SendStream,
} from './native-iroh.ts';
export { OwnEndpointIrohChannel, type OwnEndpointOptions } from './own-endpoint-channel.ts';
export { type ServiceImpl, ServiceRegistry } from './registry.ts';
export { TransportRunner } from './runner.ts';
export { groupOf, groupOfPath, methodPath, SERVICE_GROUPS, type ServiceGroup } from './service-groups.ts';
export { ALL_SERVICES, allMethods, BlixardService, ClusterService, Health } from './services.ts';
export { Code, type CodeName, codeName, RpcError } from './status.ts';
export { chooseTransport } from './strategy.ts';
export { createClient, type TypedClient } from './typed-client.ts';
export {
  defaultStrategy,
  GRPC_ONLY,
  type MigrationFile,
  MigrationFileSchema,
  type MigrationStrategy,
  MigrationStrategySchema,
  type RaftTransport,
  RaftTransportFileSchema,
  ServiceGroupSchema,
  strategyConflict,
  strategyFromFile,
  strategyToFile,
  TRANSPORT_KINDS,
  TRANSPORT_MODES,
  type TransportKind,
  TransportKindSchema,
  type TransportMode,
  TransportModeSchema,
  transportsOf,
} from './vocabulary.ts';
