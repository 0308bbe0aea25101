/**
 * One toxic spec for a link on both transports. Types shared by Toxiproxy (TCP) and the UDP proxy
 * apply to either; datagram toxics (loss, duplicate, reorder) exist only on UDP and byte-stream ones
 * (slicer, reset_peer, slow_close) only on TCP, and asking for them on the other transport is an
 * error naming the field, never a silent no-op.
 */
import { z } from 'zod';
import { TOXIC_STREAMS, type UdpToxicType, udpToxicAttributes } from '../udp/index.ts';

/** A link's two sides: its TCP proxy (Toxiproxy; gRPC rides it) and its UDP proxy (Iroh rides it). */
export const LINK_SIDES = ['tcp', 'udp'] as const;
export type LinkSide = (typeof LINK_SIDES)[number];

const millis = z.number().int().nonnegative();

const tcpOnlyAttributes = {
  slicer: z.strictObject({
    average_size: z.number().int().positive(),
    size_variation: z.number().int().nonnegative().default(0),
    delay: z.number().int().nonnegative().default(0),
  }),
  reset_peer: z.strictObject({ timeout: millis.default(0) }),
  slow_close: z.strictObject({ delay: millis.default(0) }),
} as const;

const SHARED_TYPES = ['latency', 'bandwidth', 'timeout', 'limit_data'] as const;
const UDP_ONLY_TYPES = ['loss', 'duplicate', 'reorder'] as const;
const TCP_ONLY_TYPES = Object.keys(tcpOnlyAttributes) as (keyof typeof tcpOnlyAttributes)[];
export const LINK_TOXIC_TYPES = [...SHARED_TYPES, ...UDP_ONLY_TYPES, ...TCP_ONLY_TYPES] as const;
export type LinkToxicType = (typeof LINK_TOXIC_TYPES)[number];

/** Which sides each toxic type exists on. */
export function sidesOf(type: LinkToxicType): readonly LinkSide[] {
  if ((UDP_ONLY_TYPES as readonly string[]).includes(type)) return ['udp'];
  if ((TCP_ONLY_TYPES as readonly string[]).includes(type)) return ['tcp'];
  return LINK_SIDES;
}

export interface LinkToxicSpec {
  name: string;
  type: LinkToxicType;
  stream: (typeof TOXIC_STREAMS)[number];
  toxicity: number;
  attributes: Record<string, unknown>;
}

const envelope = z.object({
  name: z.string().min(1).optional(),
  type: z.enum(LINK_TOXIC_TYPES),
  stream: z.enum(TOXIC_STREAMS).default('downstream'),
  toxicity: z.number().min(0).max(1).default(1),
  attributes: z.record(z.string(), z.unknown()).default({}),
});

export class LinkSpecError extends Error {
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'LinkSpecError';
    this.field = field;
  }
}

function fail(error: z.ZodError, prefix: string[]): never {
  const issue = error.issues[0];
  const field = [...prefix, ...(issue?.path ?? []).map(String)].join('.') || '(spec)';
  throw new LinkSpecError(field, issue?.message ?? 'invalid');
}

/**
 * Validates a toxic spec for the given transports and fills defaults (stream downstream,
 * toxicity 1, name `${type}_${stream}` as Toxiproxy names toxics).
 */
export function parseLinkToxic(input: unknown, transports: readonly LinkSide[]): LinkToxicSpec {
  const parsed = envelope.safeParse(input);
  if (!parsed.success) fail(parsed.error, []);
  const { type, stream, toxicity } = parsed.data;
  const available = sidesOf(type);
  const missing = transports.filter((t) => !available.includes(t));
  if (missing.length > 0) {
    throw new LinkSpecError(
      'type',
      `'${type}' exists only on ${available.join(' and ')}, not on ${missing.join(' and ')}; pass transports: [${available.map((t) => `'${t}'`).join(', ')}]`,
    );
  }
  const schema =
    type in udpToxicAttributes
      ? udpToxicAttributes[type as UdpToxicType]
      : tcpOnlyAttributes[type as keyof typeof tcpOnlyAttributes];
  const attributes = schema.safeParse(parsed.data.attributes);
  if (!attributes.success) fail(attributes.error, ['attributes']);
  return {
    name: parsed.data.name ?? `${type}_${stream}`,
    type,
    stream,
    toxicity,
    attributes: attributes.data as Record<string, unknown>,
  };
}

/** The attributes as one transport's server takes them (queue_bytes is the UDP proxy's own). */
export function attributesFor(spec: LinkToxicSpec, transport: LinkSide): Record<string, unknown> {
  if (transport === 'udp' || spec.type !== 'bandwidth') return spec.attributes;
  const { queue_bytes: _udpOnly, ...tcp } = spec.attributes;
  return tcp;
}
