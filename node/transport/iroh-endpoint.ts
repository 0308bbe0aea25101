/**
 * Binding an Iroh endpoint for the lab: no relays and no discovery unless the
 * config names relay URLs, so it works with no internet. Peers are dialled by
 * node id plus direct UDP addresses.
 */
import { lookup } from 'node:dns/promises';
import { Endpoint, EndpointAddr, EndpointId, RelayMode, type SecretKey } from '@number0/iroh';

export const RPC_ALPN = 'blixard/rpc/1';
export const BLOBS_ALPN = 'blixard/blobs/1';

export function alpnBytes(alpn: string): number[] {
  return Array.from(Buffer.from(alpn, 'utf8'));
}

export interface IrohEndpointOptions {
  /** host:port for the UDP socket; port 0 picks a free one. */
  bindAddress: string;
  secretKey?: SecretKey;
  alpns?: string[];
  /** 'disabled' (the default) or relay URLs. */
  relay?: 'disabled' | string[];
}

export async function bindIrohEndpoint(options: IrohEndpointOptions): Promise<Endpoint> {
  const builder = Endpoint.builder();
  builder.applyMinimal();
  const relay = options.relay ?? 'disabled';
  builder.relayMode(relay === 'disabled' ? RelayMode.disabled() : RelayMode.customFromUrls(relay));
  if (options.secretKey) builder.secretKey(options.secretKey.toBytes());
  builder.alpns((options.alpns ?? []).map(alpnBytes));
  builder.bindAddr(options.bindAddress);
  try {
    return await builder.bind();
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

export async function toEndpointAddr(peer: IrohPeerAddress): Promise<EndpointAddr> {
  let id: EndpointId;
  try {
    id = EndpointId.fromString(peer.nodeId);
  } catch {
    throw new Error(`invalid Iroh node id '${peer.nodeId}'`);
  }
  const addrs = await Promise.all(peer.addrs.map(resolveSocketAddress));
  return new EndpointAddr(id, null, addrs);
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
