/**
 * A register workload: clients issue WRITE, READ and CAS on a few keys through ProposeTask. What the
 * cluster answers feeds back into a CAS's expected value only (the last value the client saw for the
 * key: a read, its own write, or the current value a failed CAS reported).
 */

import type { Cluster } from '../../lab/runtime/index.ts';
import { RegisterOp } from '../../node/gen/blixard_pb.js';
import { type Random, randomInt } from '../../node/lib/index.ts';
import type { RegisterFn } from '../checkers/index.ts';
import { currentOfFailedCas } from './outcome.ts';
import {
  type PlannedOp,
  plannedSpec,
  runWorkloads,
  type WorkloadOptions,
  type WorkloadSpec,
  type WorkloadSummary,
} from './runner.ts';

export interface RegisterPlan {
  f: RegisterFn;
  key: string;
  value?: string | undefined;
  expected?: string | undefined;
}

/** The pure part: which op a register client issues next, and what it last saw of each key. */
export class RegisterPlanner {
  /** The client's options: its index, its seeded stream and its share of the workload. */
  readonly #o: { client: number; random: Random; keys: number; prefix: string };
  readonly #lastSeen = new Map<string, string>();
  #seq = 0;

  constructor(o: { client: number; random: Random; keys: number; prefix: string }) {
    this.#o = o;
  }

  next(): RegisterPlan {
    const key = `${this.#o.prefix}k${randomInt(this.#o.random, 0, this.#o.keys)}`;
    const roll = this.#o.random();
    const f: RegisterFn = roll < 0.4 ? 'read' : roll < 0.8 ? 'write' : 'cas';
    // Values are unique per client and op: a read names the write it saw.
    const value = f === 'read' ? undefined : `${this.#o.client}.${this.#seq++}`;
    const expected = f === 'cas' ? (this.#lastSeen.get(key) ?? '') : undefined;
    return { f, key, value, expected };
  }

  /** The key's value as last seen (a read's result, a write, a failed CAS's current value). */
  saw(key: string, value: string): void {
    this.#lastSeen.set(key, value);
  }
}

export function registerSpec(o: { clients: number; keys: number; prefix: string }): WorkloadSpec {
  return plannedSpec(
    'register',
    o.clients,
    (client, random) => new RegisterPlanner({ client, random, keys: o.keys, prefix: `${o.prefix}/` }),
    registerOp,
  );
}

function registerOp(p: RegisterPlan, planner: RegisterPlanner): PlannedOp {
  const { f, key } = p;
  const value = p.value ?? '';
  const expected = p.expected ?? '';
  return {
    ...p,
    readOnly: f === 'read',
    call: async (s, opts) => {
      const op = f === 'read' ? RegisterOp.READ : f === 'write' ? RegisterOp.WRITE : RegisterOp.CAS;
      const reply = await s.blixard.proposeTask({ key, op, value, expected }, opts);
      const seen = f === 'read' ? (reply.found ? reply.value : '') : value;
      planner.saw(key, seen);
      return { value: seen };
    },
    onError: (err) => {
      if (f !== 'cas') return {};
      const current = currentOfFailedCas(key, expected, err);
      if (current === undefined) return {};
      planner.saw(key, current);
      return { current };
    },
  };
}

export interface RegisterWorkloadOptions extends Omit<WorkloadOptions, 'prefix'> {
  clients: number;
  keys: number;
  /** Prefix for key names, so runs against one cluster never share a register. */
  keyPrefix: string;
}

/** The register workload alone (`runWorkloads` runs it in a mix). */
export function runRegisterWorkload(cluster: Cluster, o: RegisterWorkloadOptions): Promise<WorkloadSummary> {
  const prefix = o.keyPrefix.replace(/\/$/, '');
  return runWorkloads(cluster, [registerSpec({ clients: o.clients, keys: o.keys, prefix })], {
    ...o,
    prefix,
  });
}
