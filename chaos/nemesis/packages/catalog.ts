/**
 * The named nemesis packages an incident can ask for (`packages: [...]`), each a kind of fault
 * aimed where consensus defects hide, with its options and their defaults:
 *
 *   leader-kill-under-writes   the leader killed (or paused) while writes are in flight, then back
 *   leader-minority-clients    the leader cut off from its peers while the client hears only it
 *   restart-after-vote         an election forced, the first node seen voting in it restarted
 *   membership-under-partition a follower isolated and removed from the cluster, added back after the heal
 *   transfer-under-load        leadership handed to a follower while writes are in flight
 */
import { z } from 'zod';
import { DurationSchema } from '../durations.ts';

const count = z.number().int().min(1).max(20).default(1);
const minWrites = z.number().int().min(1).max(64).default(4);

export const PackageSchema = z.discriminatedUnion('name', [
  z.strictObject({
    name: z.literal('leader-kill-under-writes'),
    count,
    /** kill (SIGKILL, then start) or pause (SIGSTOP, then resume). */
    fault: z.enum(['kill', 'pause']).default('kill'),
    /** How long the old leader stays down once hit. */
    down: DurationSchema.default(2000),
    min_writes: minWrites,
  }),
  z.strictObject({
    name: z.literal('leader-minority-clients'),
    count,
    /** How long the partition holds. */
    hold: DurationSchema.default(4000),
  }),
  z.strictObject({
    name: z.literal('restart-after-vote'),
    count,
    /** How long to watch for a vote once the leader is cut off. */
    within: DurationSchema.default(4000),
    /** How long the partition holds after the vote's restart. */
    hold: DurationSchema.default(1000),
  }),
  z.strictObject({
    name: z.literal('membership-under-partition'),
    count,
    /** How long the follower stays isolated (it is removed a third of the way in). */
    hold: DurationSchema.default(3000),
  }),
  z.strictObject({
    name: z.literal('transfer-under-load'),
    count,
    /** Transfers within each occurrence. */
    transfers: z.number().int().min(1).max(10).default(2),
    min_writes: minWrites,
  }),
]);
export type NemesisPackage = z.output<typeof PackageSchema>;
export type PackageName = NemesisPackage['name'];

export const PACKAGE_NAMES = PackageSchema.options.map((o) => o.shape.name.value) as PackageName[];

/** A package as an incident writes it: its name alone, or `{ name, ...options }`. */
export const PackageEntrySchema = z.preprocess(
  (v) => (typeof v === 'string' ? { name: v } : v),
  PackageSchema,
);
