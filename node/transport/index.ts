/** The dual-transport RPC core: one registry of handlers, served and called over gRPC and Iroh. */
export type { CallContext } from './call-context.ts';
export type { CallOptions, RpcChannel } from './channel.ts';
export { ClientFactory, type PeerTarget, RoutedChannel } from './client-factory.ts';
export { GrpcChannel } from './grpc-channel.ts';
export { GrpcServer } from './grpc-server.ts';
export { HealthState, Serving } from './health-service.ts';
export { IrohChannel, IrohConnectError } from './iroh-channel.ts';
export {
  BLOBS_ALPN,
  bindIrohEndpoint,
  boundAddress,
  type IrohPeerAddress,
  RPC_ALPN,
} from './iroh-endpoint.ts';
export { IrohHost, type IrohProtocol } from './iroh-host.ts';
export { loadOrCreateSecretKey, secretKeyFromHex, secretKeyToHex } from './iroh-identity.ts';
export { MAX_MESSAGE_BYTES } from './limits.ts';
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
