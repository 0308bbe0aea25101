/**
 * How a real Blixard node is started and reached, as its own code fixes it: node i serves Iroh on UDP
 * port 50000 + i (`raft_transport_adapter.rs`), its `--bind` port is only a name (Blixard is
 * Iroh-only), and its HTTP bootstrap/metrics server listens on the bind port + 1000.
 */
import type { NodePorts } from '../../topology/index.ts';

export const DATA_DIR = '/var/lib/blixard';
/** Where the lab's own scripts for the container are mounted (Blixard keeps /etc/blixard for itself). */
export const ETC_DIR = '/lab';

export function blixardPorts(index: number): NodePorts {
  return { grpc: 7000 + index, iroh: 50000 + index, metrics: 8000 + index };
}

/** The node's numeric Blixard id for a lab node id (`n2` → 2). */
export function blixardId(nodeId: string): number {
  const m = /^n(\d+)$/.exec(nodeId);
  if (!m) throw new Error(`not a lab node id: '${nodeId}'`);
  return Number(m[1]);
}

/** `blixard node …` for node `index`: the first node bootstraps, the others join with its ticket. */
export function nodeArgv(index: number, joinTicket: string | undefined): string[] {
  const argv = [
    '/usr/local/bin/blixard',
    'node',
    '--id',
    String(index),
    '--bind',
    `0.0.0.0:${blixardPorts(index).grpc}`,
    '--data-dir',
    `${DATA_DIR}/data`,
    '--vm-config-dir',
    `${DATA_DIR}/vm-configs`,
    '--vm-data-dir',
    `${DATA_DIR}/vm-data`,
    '--vm-backend',
    'mock',
    '--mock-vm',
  ];
  if (joinTicket !== undefined) argv.push('--join-ticket', joinTicket);
  return argv;
}

/** One address translation: packets to a peer's own address go to the hub's link instead. */
export interface NatRule {
  /** The peer's own address, as its ticket and its join request name it. */
  peerIp: string;
  /** The hub's address on this container's network and the link's port. */
  hubIp: string;
  hubPort: number;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The shell lines that (re)install a container's translations: its own chain in the nat table's
 * OUTPUT, flushed first, so running it again after a peer moved replaces every rule.
 */
export function natScript(rules: readonly NatRule[]): string {
  const lines = [
    'set -e',
    'ipt=iptables-nft',
    '$ipt -t nat -N LAB_LINKS 2>/dev/null || $ipt -t nat -F LAB_LINKS',
    '$ipt -t nat -C OUTPUT -j LAB_LINKS 2>/dev/null || $ipt -t nat -A OUTPUT -j LAB_LINKS',
  ];
  for (const r of rules) {
    for (const ip of [r.peerIp, r.hubIp])
      if (!IPV4.test(ip)) throw new Error(`address translation: '${ip}' is not an IPv4 address`);
    if (!Number.isInteger(r.hubPort) || r.hubPort < 1 || r.hubPort > 65535)
      throw new Error(`address translation: hub port ${r.hubPort} is out of range`);
    // A peer's address is on no network of this container, and a packet the kernel cannot route never
    // reaches the nat table: an on-link route lets it get there. Untranslated, it would go nowhere
    // (no host on this network has that address).
    lines.push(`ip route replace ${r.peerIp}/32 dev eth0`);
    lines.push(
      `$ipt -t nat -A LAB_LINKS -p udp -d ${r.peerIp} -j DNAT --to-destination ${r.hubIp}:${r.hubPort}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The node's start script: its translations, then Blixard in the foreground (tini reaps it). */
export function startScript(argv: readonly string[]): string {
  return [
    '#!/bin/sh',
    '# Written by the lab: address translation to the hub, then the node.',
    `sh ${ETC_DIR}/nat.sh`,
    `exec ${argv.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}
