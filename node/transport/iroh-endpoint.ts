/**
 * Binding an Iroh endpoint for the lab: no relays and no discovery unless the
 * config names relay URLs, so it works with no internet. Peers are dialled by
 * node id plus direct UDP addresses.
 */
import { lookup } from 'node:dns/promises';
import { bindEndpoint, type Connection, type Endpoint, parseNodeId, type SecretKey } from './native-iroh.ts';

export const RPC_ALPN = 'blixard/rpc/1';
export const BLOBS_ALPN = 'blixard/blobs/1';

export interface IrohEndpointOptions {
  /** host:port for the UDP socket; port 0 picks a free one. */
  bindAddress: string;
  secretKey?: SecretKey;
  alpns?: string[];
  /** 'disabled' (the default) or relay URLs. */
  relay?: 'disabled' | string[];
}

export async function bindIrohEndpoint(options: IrohEndpointOptions): Promise<Endpoint> {
  const relay = options.relay ?? 'disabled';
  try {
    return await bindEndpoint({
      bindAddr: options.bindAddress,
      alpns: options.alpns ?? [],
      ...(options.secretKey && { secretKey: options.secretKey.toBytes() }),
      ...(relay !== 'disabled' && { relayUrls: relay }),
    });
  } catch (err) {
    throw new Error(`Iroh bind ${options.bindAddress}: ${firstLine(err)}`);
  }
}

/** The endpoint's IPv4 socket address (e.g. for a peer list), or the first bound one. */
export function boundAddress(endpoint: Endpoint): string {
  const sockets = endpoint.boundSockets();
  return sockets.find((s) => !s.startsWith('[')) ?? sockets[0] ?? '';
}

export interface IrohPeerAddress {
  nodeId: string;
  /** Direct UDP addresses, host:port; host names are resolved. */
  addrs: string[];
}

/** A peer as the binding dials it: its node id checked, host names resolved to IP addresses. */
export interface EndpointAddr {
  nodeId: string;
  addrs: string[];
}

export async function toEndpointAddr(peer: IrohPeerAddress): Promise<EndpointAddr> {
  let nodeId: string;
  try {
    nodeId = parseNodeId(peer.nodeId);
  } catch {
    throw new Error(`invalid Iroh node id '${peer.nodeId}'`);
  }
  const addrs = await Promise.all(peer.addrs.map(resolveSocketAddress));
  return { nodeId, addrs };
}

/** Dials `addr` from `endpoint` with the given ALPN. */
export function dial(endpoint: Endpoint, addr: EndpointAddr, alpn: string): Promise<Connection> {
  return endpoint.connect(addr.nodeId, addr.addrs, alpn);
}

async function resolveSocketAddress(addr: string): Promise<string> {
  const at = addr.lastIndexOf(':');
  const host = addr.slice(0, at).replace(/^\[|\]$/g, '');
  const port = addr.slice(at + 1);
  if (/^[\d.]+$/.test(host) || host.includes(':')) return addr;
  const { address, family } = await lookup(host);
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** napi errors carry a Rust backtrace after the first line; keep only the message. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}
