/**
 * A set workload over registers: each set is one register holding its elements separated by
 * spaces; `set-add` appends a unique element with CAS (expected: the set as last seen; a failed
 * CAS names the current set, and the add tries again on it, a few times within its deadline);
 * `set-read` reads the register. After the faults heal, every client reads every set once more
 * (`final: true`): every acknowledged add must be in it (else a lost write), and nothing may be read
 * that no client ever tried to add.
 */

import { RegisterOp } from '../../node/gen/blixard_pb.js';
import { type Random, randomInt } from '../../node/lib/index.ts';
import { Code, RpcError } from '../../node/transport/index.ts';
import type { NodeServices } from './clients.ts';
import { currentOfFailedCas } from './outcome.ts';
import type { PlannedOp, WorkloadClient, WorkloadSpec } from './runner.ts';

/** CAS attempts of one add (each a new round trip) before it gives up as `fail`. */
export const ADD_ATTEMPTS = 4;

export function elementsOf(text: string): string[] {
  return text === '' ? [] : text.split(' ');
}

export interface SetPlan {
  f: 'set-add' | 'set-read';
  key: string;
  /** set-add: the element. */
  value?: string | undefined;
}

/** The pure part: which set a client adds to or reads next, with unique elements per client. */
export class SetPlanner {
  /** The client's options: its index, its seeded stream and its share of the workload. */
  readonly #o: { client: number; random: Random; keys: number; prefix: string };
  readonly #lastSeen = new Map<string, string>();
  #seq = 0;

  constructor(o: { client: number; random: Random; keys: number; prefix: string }) {
    this.#o = o;
  }

  keys(): string[] {
    return Array.from({ length: this.#o.keys }, (_, i) => `${this.#o.prefix}s${i}`);
  }

  next(): SetPlan {
    const key = `${this.#o.prefix}s${randomInt(this.#o.random, 0, this.#o.keys)}`;
    if (this.#o.random() < 0.25) return { f: 'set-read', key };
    return { f: 'set-add', key, value: `e${this.#o.client}.${this.#seq++}` };
  }

  lastSeen(key: string): string {
    return this.#lastSeen.get(key) ?? '';
  }

  saw(key: string, text: string): void {
    this.#lastSeen.set(key, text);
  }
}

/** An add whose every CAS found another set: it did not happen; `current` is the set last found. */
export class AddRejected extends RpcError {
  readonly current: string;
  constructor(key: string, current: string, attempts: number) {
    super(
      Code.FAILED_PRECONDITION,
      `'${key}' changed under each of ${attempts} CAS attempts; last found '${current}'`,
    );
    this.name = 'AddRejected';
    this.current = current;
  }
}

/**
 * One add: CAS(seen → seen + element) until it applies or attempts run out. A CAS mismatch (with
 * the current set in the error) retries on that set; any other error ends the add with that error.
 * Resolves with the set written.
 */
export async function addElement(
  s: Pick<NodeServices, 'blixard'>,
  key: string,
  element: string,
  seen: string,
  opts: { timeoutMs: number },
  saw: (text: string) => void,
): Promise<string> {
  const deadline = performance.now() + opts.timeoutMs;
  let expected = seen;
  let attempt = 0;
  while (attempt < ADD_ATTEMPTS) {
    attempt++;
    const left = Math.max(1, Math.round(deadline - performance.now()));
    const value = expected === '' ? element : `${expected} ${element}`;
    try {
      await s.blixard.proposeTask({ key, op: RegisterOp.CAS, value, expected }, { timeoutMs: left });
      saw(value);
      return value;
    } catch (err) {
      const current = currentOfFailedCas(key, expected, err);
      if (current === undefined) throw err;
      saw(current);
      expected = current;
      if (deadline - performance.now() < 1) break;
    }
  }
  throw new AddRejected(key, expected, attempt);
}

export function setSpec(o: { clients: number; keys: number; prefix: string }): WorkloadSpec {
  return {
    name: 'set',
    clients: o.clients,
    make: (index, random): WorkloadClient => {
      const planner = new SetPlanner({ client: index, random, keys: o.keys, prefix: `${o.prefix}.set.` });
      return {
        next: () => setOp(planner.next(), planner, false),
        final: () => planner.keys().map((key) => setOp({ f: 'set-read', key }, planner, true)),
      };
    },
  };
}

function setOp(p: SetPlan, planner: SetPlanner, final: boolean): PlannedOp {
  const { key } = p;
  if (p.f === 'set-read') {
    return {
      f: 'set-read',
      key,
      readOnly: true,
      call: async (s, opts) => {
        const reply = await s.blixard.proposeTask({ key, op: RegisterOp.READ }, opts);
        const text = reply.found ? reply.value : '';
        planner.saw(key, text);
        return { value: text, elements: elementsOf(text), ...(final && { final: true }) };
      },
      ...(final && { onError: () => ({ final: true }) }),
    };
  }
  const element = p.value as string;
  return {
    f: 'set-add',
    key,
    value: element,
    readOnly: false,
    call: async (s, opts) => {
      await addElement(s, key, element, planner.lastSeen(key), opts, (t) => planner.saw(key, t));
      return { value: element };
    },
    // Every CAS found another set: the add did not happen, and the set it last found is a read.
    onError: (err) => (err instanceof AddRejected ? { current: err.current } : {}),
  };
}
