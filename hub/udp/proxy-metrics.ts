/**
 * Prometheus view of the links. Values are read from the links' plain counters at scrape time,
 * so the datagram path only bumps numbers and never touches prom-client.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { DirectionCounters } from './link-proxy.ts';
import type { UdpProxyCollection } from './proxy-collection.ts';

const OUTCOMES = [
  ['in', 'packetsIn', 'bytesIn'],
  ['out', 'packetsOut', 'bytesOut'],
  ['dropped', 'packetsDropped', 'bytesDropped'],
] as const satisfies readonly (readonly [string, keyof DirectionCounters, keyof DirectionCounters])[];
type Outcome = (typeof OUTCOMES)[number];

export function createProxyMetrics(collection: UdpProxyCollection): Registry {
  const registry = new Registry();
  const labelNames = ['proxy', 'direction', 'outcome'] as const;
  /** A counter per link, direction and outcome, of the field `pick` chooses (packets or bytes). */
  const outcomeCounter = (name: string, help: string, pick: (outcome: Outcome) => keyof DirectionCounters) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const proxy of collection.list()) {
          for (const direction of ['upstream', 'downstream'] as const) {
            const c = proxy.counters[direction];
            for (const o of OUTCOMES) this.inc({ proxy: proxy.name, direction, outcome: o[0] }, c[pick(o)]);
          }
        }
      },
    });
  outcomeCounter(
    'udp_proxy_packets_total',
    'Datagrams per link and direction: received (in), sent (out, duplicates included), dropped by toxics or a down link',
    ([, packets]) => packets,
  );
  outcomeCounter(
    'udp_proxy_bytes_total',
    'Datagram payload bytes per link and direction, by outcome',
    ([, , bytes]) => bytes,
  );
  new Gauge({
    name: 'udp_proxy_sessions_active',
    help: 'Client sessions (one upstream socket each) currently open per link',
    labelNames: ['proxy'],
    registers: [registry],
    collect() {
      this.reset();
      for (const proxy of collection.list()) this.set({ proxy: proxy.name }, proxy.counters.sessionsActive);
    },
  });
  new Gauge({
    name: 'udp_proxy_link_enabled',
    help: '1 when the link forwards, 0 when it is down',
    labelNames: ['proxy'],
    registers: [registry],
    collect() {
      this.reset();
      for (const proxy of collection.list()) this.set({ proxy: proxy.name }, proxy.enabled ? 1 : 0);
    },
  });
  new Gauge({
    name: 'udp_proxy_toxics',
    help: 'Toxics active per link, type and stream',
    labelNames: ['proxy', 'type', 'stream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const proxy of collection.list()) {
        for (const toxic of proxy.toxics())
          this.inc({ proxy: proxy.name, type: toxic.type, stream: toxic.stream });
      }
    },
  });
  return registry;
}
