/**
 * What a UDP toxic is, as the admin API accepts it: Toxiproxy's toxic JSON shape
 * (`{name, type, stream, toxicity, attributes}`) with the UDP proxy's own types and attributes.
 *
 * Validation is strict on attribute names so a typo ("latecy") is an error naming the field
 * rather than a silently inert toxic.
 */
import { z } from 'zod';

export const TOXIC_STREAMS = ['upstream', 'downstream'] as const;
export type ToxicStream = (typeof TOXIC_STREAMS)[number];

const millis = z.number().int().nonnegative();
const probability = z.number().min(0).max(1);

/** Attribute schemas per toxic type; defaults follow Toxiproxy's zero values where those make sense. */
export const udpToxicAttributes = {
  latency: z.strictObject({ latency: millis.default(0), jitter: millis.default(0) }),
  /** rate in KB/s (1 KB = 1000 bytes, as in Toxiproxy); 0 means unlimited. */
  bandwidth: z.strictObject({
    rate: z.number().nonnegative().default(0),
    /** How many bytes may wait in the link's queue before datagrams are tail-dropped (default: 1 s at rate). */
    queue_bytes: z.number().int().nonnegative().optional(),
  }),
  /** Drops everything; with timeout > 0 the session is also closed after that many ms. */
  timeout: z.strictObject({ timeout: millis.default(0) }),
  /** A session blackholes after this many bytes went through (Toxiproxy closes the connection). */
  limit_data: z.strictObject({ bytes: z.number().int().nonnegative().default(0) }),
  loss: z
    .strictObject({
      probability: probability.default(1),
      /** bernoulli: independent drops; gilbert_elliott: bursty loss from a two-state Markov chain. */
      mode: z.enum(['bernoulli', 'gilbert_elliott']).default('bernoulli'),
      good_to_bad: probability.default(0),
      bad_to_good: probability.default(1),
      loss_good: probability.default(0),
      loss_bad: probability.default(1),
    })
    .refine((a) => a.mode === 'bernoulli' || a.good_to_bad > 0, {
      message: 'must be > 0 in gilbert_elliott mode, or the link never enters the lossy state',
      path: ['good_to_bad'],
    }),
  duplicate: z.strictObject({
    probability: probability.default(1),
    copies: z.number().int().min(1).max(16).default(1),
  }),
  /** A chosen datagram is held back until the next one passed, or for at most `delay` ms. */
  reorder: z.strictObject({ probability: probability.default(1), delay: millis.default(10) }),
} as const;

export type UdpToxicType = keyof typeof udpToxicAttributes;
export const UDP_TOXIC_TYPES = Object.keys(udpToxicAttributes) as UdpToxicType[];
/** Toxiproxy types that only make sense on a byte stream. */
export const TCP_ONLY_TOXIC_TYPES = ['slicer', 'reset_peer', 'slow_close'] as const;

export type UdpToxicAttributes = { [K in UdpToxicType]: z.output<(typeof udpToxicAttributes)[K]> };

export type UdpToxic = {
  [K in UdpToxicType]: {
    name: string;
    type: K;
    stream: ToxicStream;
    toxicity: number;
    attributes: UdpToxicAttributes[K];
  };
}[UdpToxicType];

const toxicEnvelope = z.object({
  name: z.string().min(1).optional(),
  type: z.string({ error: 'is required' }),
  stream: z.enum(TOXIC_STREAMS).default('downstream'),
  toxicity: probability.default(1),
  attributes: z.record(z.string(), z.unknown()).default({}),
});

const toxicUpdate = z.object({
  toxicity: probability.optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});

/** A spec the caller got wrong; `field` is the JSON path of the offending value. */
export class ToxicSpecError extends Error {
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'ToxicSpecError';
    this.field = field;
    this.reason = reason;
  }
}

function firstIssue(error: z.ZodError, prefix: string[]): ToxicSpecError {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? []).map(String)];
  return new ToxicSpecError(path.join('.') || '(body)', issue?.message ?? 'invalid');
}

function parseAttributes(type: string, raw: unknown): UdpToxic['attributes'] {
  if (!(type in udpToxicAttributes)) {
    const tcpOnly = (TCP_ONLY_TOXIC_TYPES as readonly string[]).includes(type);
    throw new ToxicSpecError(
      'type',
      tcpOnly
        ? `'${type}' is a TCP stream toxic and has no meaning for UDP; use one of ${UDP_TOXIC_TYPES.join(', ')}`
        : `unknown toxic type '${type}'; use one of ${UDP_TOXIC_TYPES.join(', ')}`,
    );
  }
  const schema = udpToxicAttributes[type as UdpToxicType];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw firstIssue(parsed.error, ['attributes']);
  return parsed.data;
}

/** Validates a toxic creation body, filling Toxiproxy's defaults (stream downstream, toxicity 1, name type_stream). */
export function parseUdpToxic(body: unknown): UdpToxic {
  const envelope = toxicEnvelope.safeParse(body);
  if (!envelope.success) throw firstIssue(envelope.error, []);
  const { type, stream, toxicity } = envelope.data;
  const attributes = parseAttributes(type, envelope.data.attributes);
  const name = envelope.data.name ?? `${type}_${stream}`;
  return { name, type, stream, toxicity, attributes } as UdpToxic;
}

/** Applies an update body (toxicity and/or some attributes) to an existing toxic, as Toxiproxy merges them. */
export function mergeUdpToxicUpdate(current: UdpToxic, body: unknown): UdpToxic {
  const update = toxicUpdate.safeParse(body);
  if (!update.success) throw firstIssue(update.error, []);
  const attributes = parseAttributes(current.type, { ...current.attributes, ...update.data.attributes });
  return { ...current, toxicity: update.data.toxicity ?? current.toxicity, attributes } as UdpToxic;
}
