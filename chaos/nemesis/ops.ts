/**
 * The nemesis' operations: one JSON-shaped union shared by the TypeScript API, the CLI (`lab chaos
 * ...`), generated schedules and YAML incident files, so a recorded run can be repeated from its file.
 */
import { z } from 'zod';
import { WipeDataOpSchema } from './data-faults.ts';
import { RogueGuestOpSchema } from './guest-faults.ts';

export const PARTITION_KINDS = [
  'isolate',
  'halves',
  'majority-ring',
  'bridge',
  'leader',
  'client',
  'leader-clients',
] as const;
export type PartitionKind = (typeof PARTITION_KINDS)[number];

/** Which transports a fault reaches: both (the default), or one only to compare them. */
export const TRANSPORT_SELECTORS = ['both', 'tcp', 'udp'] as const;
export type TransportSelector = (typeof TRANSPORT_SELECTORS)[number];

export const NODE_OPS = ['kill', 'stop', 'start', 'pause', 'resume', 'restart'] as const;
export type NodeOpKind = (typeof NODE_OPS)[number];

const nodeId = z.string().regex(/^n\d+$/, 'a node id such as n1');
/**
 * A node, or one named by its place when the op runs: `leader`, `follower` (one drawn from the seed
 * among the others), `previous` (the node the last op with a node acted on, e.g. to start the leader
 * a kill took down).
 */
export const NODE_ROLES = ['leader', 'follower', 'previous'] as const;
const nodeTarget = z.union([nodeId, z.enum(NODE_ROLES)]);
/** Whether a target names a node by id (rather than by its role when the op runs). */
export function isNodeId(target: string): boolean {
  return !(NODE_ROLES as readonly string[]).includes(target);
}
const linkName = z.string().regex(/^(client|n\d+)-n\d+$/, 'a link name such as n1-n2 or client-n3');

/**
 * `all` (every link, the client's too), `peers` (node to node), `client` (client to node), names, or
 * `{ of: [n1, n2] }`: every link from or to those nodes (the client's links to them too).
 */
export const LinkSelectorSchema = z.union([
  z.enum(['all', 'peers', 'client']),
  z.array(linkName).min(1),
  z.strictObject({ of: z.array(nodeId).min(1) }),
]);
export type LinkSelector = z.infer<typeof LinkSelectorSchema>;

const transport = z.enum(TRANSPORT_SELECTORS).default('both');
const links = LinkSelectorSchema.default('all');

/** A raw toxic spec (hub/links validates its attributes per type and transport). */
export const ToxicInputSchema = z.strictObject({
  name: z.string().min(1).optional(),
  type: z.string().min(1),
  stream: z.enum(['upstream', 'downstream']).optional(),
  toxicity: z.number().min(0).max(1).optional(),
  attributes: z.record(z.string(), z.unknown()).default({}),
});

const FAULT_OPS = [
  z.strictObject({
    do: z.literal('partition'),
    kind: z.enum(PARTITION_KINDS),
    /** isolate/client: the node cut off (default: the first node); ignored by the others. */
    node: nodeTarget.optional(),
    transport,
  }),
  z.strictObject({ do: z.literal('heal') }),
  z.strictObject({
    do: z.literal('latency'),
    ms: z.number().int().positive(),
    jitter: z.number().int().nonnegative().default(0),
    links,
    transport,
  }),
  z.strictObject({
    do: z.literal('loss'),
    probability: z.number().gt(0).max(1),
    links,
    // Loss is a datagram toxic: it exists on UDP only.
    transport: z.literal('udp').default('udp'),
  }),
  z.strictObject({
    do: z.literal('bandwidth'),
    rate: z.number().int().positive(),
    links,
    transport,
  }),
  z.strictObject({ do: z.literal('toxic'), toxic: ToxicInputSchema, links, transport }),
  ...NODE_OPS.map((op) => z.strictObject({ do: z.literal(op), node: nodeTarget })),
  z.strictObject({
    do: z.literal('mode-change'),
    mode: z.enum(['grpc', 'dual', 'iroh']),
    /** Order of the rolling restart (default: every node, in id order). */
    nodes: z.array(nodeId).min(1).optional(),
  }),
  WipeDataOpSchema,
  RogueGuestOpSchema,
  /** Leadership handed by the leader to `to` (TransferLeadership), under whatever load runs. */
  z.strictObject({ do: z.literal('transfer'), to: nodeTarget.default('follower') }),
  /** The node removed from the cluster's configuration (LeaveCluster, through any node). */
  z.strictObject({ do: z.literal('leave'), node: nodeTarget }),
  /** The node added back (JoinCluster with its addresses): a learner, a voter once caught up. */
  z.strictObject({ do: z.literal('join'), node: nodeTarget }),
] as const;

/** Every op but a rollout: what a rollout step may bring with it. */
export const FaultOpSchema = z.discriminatedUnion('do', [...FAULT_OPS]);

export const NemesisOpSchema = z.discriminatedUnion('do', [
  ...FAULT_OPS,
  z.strictObject({
    do: z.literal('rollout'),
    /** A rollout file (chaos/rollout), relative to the incident file or the repository. */
    file: z.string().min(1),
    /** How the rollout must end for the run to pass: every step in place, or rolled back by a gate. */
    expect: z.enum(['completed', 'rolled-back']).default('completed'),
    /** With `rolled-back`: the step (its name, or `start`) the cluster must be back at. */
    back_to: z.string().min(1).optional(),
    /** Faults applied once the named step is in place, before its watch window (e.g. loss at 25 %). */
    on_step: z.record(z.string(), z.array(FaultOpSchema).min(1)).optional(),
  }),
]);

export type NemesisOp = z.infer<typeof NemesisOpSchema>;
export type NemesisOpInput = z.input<typeof NemesisOpSchema>;

/** Ops that leave a fault in place until a heal (or the matching start/resume). */
export function isFault(op: NemesisOp): boolean {
  return op.do !== 'heal' && op.do !== 'start' && op.do !== 'resume' && op.do !== 'join';
}

/** The node ids an op names (not those it names by role), to check against the cluster. */
export function namedNodes(op: NemesisOp): string[] {
  const targets = [
    ...('node' in op && op.node !== undefined ? [op.node] : []),
    ...(op.do === 'transfer' ? [op.to] : []),
    ...(op.do === 'mode-change' ? (op.nodes ?? []) : []),
    ...(op.do === 'wipe-data' && op.nodes !== 'majority' ? op.nodes : []),
    ...('links' in op && typeof op.links === 'object' && 'of' in op.links ? op.links.of : []),
  ];
  return targets.filter(isNodeId);
}

/** A one-line description for logs and the CLI. */
export function describeOp(op: NemesisOp): string {
  switch (op.do) {
    case 'partition':
      return `partition ${op.kind}${op.node ? ` ${op.node}` : ''} (${op.transport})`;
    case 'heal':
      return 'heal';
    case 'latency':
      return `latency ${op.ms} ms ±${op.jitter} on ${linksText(op.links)} (${op.transport})`;
    case 'loss':
      return `loss ${op.probability} on ${linksText(op.links)} (udp)`;
    case 'bandwidth':
      return `bandwidth ${op.rate} KB/s on ${linksText(op.links)} (${op.transport})`;
    case 'toxic':
      return `toxic ${op.toxic.type} on ${linksText(op.links)} (${op.transport})`;
    case 'wipe-data':
      return `wipe data of ${op.nodes === 'majority' ? 'a majority' : op.nodes.join(', ')}`;
    case 'rogue-guest':
      return `rogue guest of ${op.vm ?? 'a running vm'}${op.node ? ` on ${op.node}` : ''}`;
    case 'mode-change':
      return `rolling mode change to ${op.mode}${op.nodes ? ` (${op.nodes.join(', ')})` : ''}`;
    case 'transfer':
      return `leadership transfer to ${op.to}`;
    case 'rollout':
      return `rollout ${op.file} (expect ${op.expect}${op.back_to ? ` to ${op.back_to}` : ''})`;
    default:
      return `${op.do} ${op.node}`;
  }
}

function linksText(l: LinkSelector): string {
  if (typeof l === 'string') return `${l} links`;
  return Array.isArray(l) ? l.join(', ') : `the links of ${l.of.join(', ')}`;
}
