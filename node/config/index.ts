export { ConfigError, loadNodeConfig, parseNodeConfig } from './load.ts';
export { type NodeConfig, NodeConfigSchema, type PeerConfig } from './schema.ts';
