/**
 * The node's peer connector: one PeerLink per peer, created on first use from
 * the address book, each with its breaker and health-check loop. Links of
 * peers that leave are stopped when the node stops; their breakers stay
 * readable for metrics until then.
 */
import { seededRandom } from '../lib/index.ts';
import type { RoutedChannel } from '../transport/index.ts';
import type { BreakerTransition } from './circuit-breaker.ts';
import { DEFAULT_BREAKER } from './circuit-breaker.ts';
import { PeerLink, type PeerLinkOptions } from './peer-link.ts';

export interface PeerConnectorOptions {
  /** The routed channel to a peer, or undefined while its address is unknown. */
  resolve: (peer: string) => RoutedChannel | undefined;
  link?: Partial<Omit<PeerLinkOptions, 'random'>>;
  /** Seeds the jitter of every link (each link derives its own). */
  seed?: number;
  onTransition?: (peer: string, t: BreakerTransition) => void;
}

export const DEFAULT_LINK: Omit<PeerLinkOptions, 'random'> = {
  breaker: DEFAULT_BREAKER,
  healthIntervalMs: 1000,
  // As long as a Raft send may take: a probe must not fail a peer that is merely slow.
  healthTimeoutMs: 2000,
};

export class PeerConnector {
  private readonly opts: PeerConnectorOptions;
  private readonly byPeer = new Map<string, PeerLink>();
  private readonly seed: number;

  constructor(opts: PeerConnectorOptions) {
    this.opts = opts;
    this.seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  }

  link(peer: string): PeerLink | undefined {
    const existing = this.byPeer.get(peer);
    if (existing) return existing;
    const channel = this.opts.resolve(peer);
    if (!channel) return undefined;
    const link = new PeerLink(peer, channel, {
      ...DEFAULT_LINK,
      ...this.opts.link,
      random: seededRandom(this.seed ^ hash(peer)),
    });
    if (this.opts.onTransition) link.onTransition = this.opts.onTransition;
    this.byPeer.set(peer, link);
    void link.runHealthChecks();
    return link;
  }

  links(): PeerLink[] {
    return [...this.byPeer.values()];
  }

  stop(): void {
    for (const link of this.byPeer.values()) link.stop();
  }
}

/** FNV-1a: a stable per-peer salt for the jitter seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
