/** What a link probe aims at and what it can tell: shared by the reference node's probes and Blixard's. */
import type { LinkSide } from '../../hub/links/index.ts';

export interface ProbeTarget {
  link: string;
  from: string;
  to: string;
  side: LinkSide;
  /** host:port the probe dials (what the link's source dials). */
  address: string;
  /** The address the hub listens on for this link side (what `address` must be). */
  listen: string;
  /** Iroh node id of the target node. */
  irohId: string;
  /** Docker runtime, node-to-node links: probe from inside the source node's container. */
  container?: string | undefined;
  /** ...with the source node's Iroh key file, as its container sees it. */
  keyFile?: string | undefined;
}

/** One connection through a link side. */
export interface LinkProbe {
  readonly target: ProbeTarget;
  /** The address dialled, resolved: every Iroh path must go there. */
  readonly dialed: string;
  /** One HealthCheck round trip in ms (throws when no answer came within `timeoutMs`). */
  rtt(timeoutMs?: number): Promise<number>;
  /** Iroh: the connection's IP paths; undefined for TCP. */
  paths(): Promise<string[] | undefined>;
  /** Iroh, from the host only: the connection's lost-packet counter. */
  lostPackets(): Promise<number | undefined>;
  /** Iroh: whether the target node answers at `address` straight, not through the link. */
  reaches(address: string): Promise<boolean>;
  close(): Promise<void>;
}
