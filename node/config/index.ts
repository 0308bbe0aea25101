export { ConfigError, loadNodeConfig, parseNodeConfig, readJoinToken } from './load.ts';
export { decideReload, type ReloadDecision } from './reload.ts';
export { type NodeConfig, NodeConfigSchema, type PeerConfig } from './schema.ts';
