/**
 * Link faults (pure): which links an op reaches, on which transports, with which toxic specs. The
 * specs are validated by hub/links before anything is applied, so a bad one is refused up front.
 */
import { type LinkSide, type LinkToxicSpec, parseLinkToxic } from '../../hub/links/index.ts';
import type { LinkSelector, NemesisOp, TransportSelector } from './ops.ts';
import { CLIENT } from './partition.ts';

export interface LinkRef {
  name: string;
  from: string;
  to: string;
}

export function transportsFor(selector: TransportSelector): LinkSide[] {
  return selector === 'both' ? ['tcp', 'udp'] : [selector];
}

export function selectLinks(selector: LinkSelector, links: readonly LinkRef[]): LinkRef[] {
  if (selector === 'all') return [...links];
  if (selector === 'peers') return links.filter((l) => l.from !== CLIENT);
  if (selector === 'client') return links.filter((l) => l.from === CLIENT);
  if (!Array.isArray(selector)) {
    const of = new Set(selector.of);
    return links.filter((l) => of.has(l.from) || of.has(l.to));
  }
  const byName = new Map(links.map((l) => [l.name, l]));
  return selector.map((name) => {
    const l = byName.get(name);
    if (!l) throw new Error(`no link '${name}' (links: ${links.map((x) => x.name).join(', ')})`);
    return l;
  });
}

export type ToxicOp = Extract<NemesisOp, { do: 'latency' | 'loss' | 'bandwidth' | 'toxic' }>;

export function isToxicOp(op: NemesisOp): op is ToxicOp {
  return op.do === 'latency' || op.do === 'loss' || op.do === 'bandwidth' || op.do === 'toxic';
}

/**
 * The toxic specs an op adds on each selected link. Latency and bandwidth act downstream (replies),
 * so a call's round trip grows by the latency; loss drops in both directions.
 */
export function toxicsFor(op: ToxicOp): LinkToxicSpec[] {
  const transports = transportsFor(op.transport);
  switch (op.do) {
    case 'latency':
      return [
        parseLinkToxic(
          { name: 'nemesis_latency', type: 'latency', attributes: { latency: op.ms, jitter: op.jitter } },
          transports,
        ),
      ];
    case 'loss':
      return (['upstream', 'downstream'] as const).map((stream) =>
        parseLinkToxic(
          {
            name: `nemesis_loss_${stream}`,
            type: 'loss',
            stream,
            attributes: { probability: op.probability },
          },
          transports,
        ),
      );
    case 'bandwidth':
      return [
        parseLinkToxic(
          { name: 'nemesis_bandwidth', type: 'bandwidth', attributes: { rate: op.rate } },
          transports,
        ),
      ];
    case 'toxic':
      return [parseLinkToxic({ name: 'nemesis_toxic', ...op.toxic }, transports)];
  }
}
