export { ConfigError, loadNodeConfig, parseNodeConfig, readJoinToken } from './load.ts';
export { type NodeConfig, NodeConfigSchema, type PeerConfig } from './schema.ts';
