/**
 * Seeded register histories for tests and bench/checker: valid ones from a simulated atomic register
 * (concurrent clients, ops taking effect at a point inside their interval, some with unknown outcome),
 * and invalid ones made from them by one mutation.
 */
import { pick, type Random, randomInt, seededRandom } from '../../node/lib/index.ts';
import { INITIAL_VALUE, type RegisterInput, type RegisterOp, type RegisterOutput } from './register-model.ts';

export interface RegisterSimOptions {
  seed: number;
  /** Ops in the history. */
  ops: number;
  keys: number;
  /** Clients issuing ops at the same time (one op at a time each). */
  processes: number;
  /** Share of ops whose outcome is unknown (default 0.02): they take effect later, or never. */
  infoRate?: number;
  /** Share of reads and of cas among the ops (defaults 0.45 and 0.2; the rest are writes). */
  readRate?: number;
  casRate?: number;
  /** An op's duration is 1..maxLatency ms (default 20). */
  maxLatency?: number;
}

/**
 * A history of a real atomic register: every op takes effect at one point in [call, ret] (an open op:
 * at a point after its call, or never), and answers what the register held there. A client whose op
 * ends with an unknown outcome continues as a new process, as Jepsen's do.
 */
export function simulateRegister(o: RegisterSimOptions): RegisterOp[] {
  const random = seededRandom(o.seed, 'register-sim');
  const infoRate = o.infoRate ?? 0.02;
  const readRate = o.readRate ?? 0.45;
  const casRate = o.casRate ?? 0.2;
  const maxLatency = o.maxLatency ?? 20;
  const keys = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  const clocks = Array.from({ length: o.processes }, () => randomInt(random, 0, 5));
  const pids = Array.from({ length: o.processes }, (_, i) => i);
  let nextPid = o.processes;
  const written = new Map<string, string[]>(keys.map((k) => [k, [INITIAL_VALUE]]));
  const planned: { op: RegisterOp; point: number; happens: boolean }[] = [];
  for (let id = 0; id < o.ops; id++) {
    let w = 0;
    for (let i = 1; i < clocks.length; i++) if ((clocks[i] as number) < (clocks[w] as number)) w = i;
    const call = clocks[w] as number;
    const duration = 1 + randomInt(random, 0, maxLatency);
    const key = pick(random, keys);
    const values = written.get(key) as string[];
    const draw = random();
    const info = random() < infoRate;
    let input: RegisterInput;
    if (draw < readRate && !info) input = { f: 'read' };
    else if (draw < readRate + casRate) {
      const expected = values[Math.max(0, values.length - 1 - randomInt(random, 0, 3))] as string;
      input = { f: 'cas', expected, value: `${pids[w]}.${id}` };
    } else input = { f: 'write', value: `${pids[w]}.${id}` };
    if (input.f !== 'read') values.push(input.value);
    const op: RegisterOp = {
      id,
      process: pids[w] as number,
      key,
      input,
      output: undefined,
      call,
      ret: info ? Number.POSITIVE_INFINITY : call + duration,
    };
    // An open op takes effect within three durations of its call, or never.
    const point = call + random() * duration * (info ? 3 : 1);
    planned.push({ op, point, happens: !info || random() < 0.5 });
    if (info) pids[w] = nextPid++;
    clocks[w] = call + duration + randomInt(random, 0, 4);
  }
  const state = new Map<string, string>();
  for (const p of [...planned].sort((a, b) => a.point - b.point)) {
    if (!p.happens) continue;
    const { op } = p;
    const held = state.get(op.key) ?? INITIAL_VALUE;
    let output: RegisterOutput;
    switch (op.input.f) {
      case 'read':
        output = { f: 'read', value: held };
        break;
      case 'write':
        state.set(op.key, op.input.value);
        output = { f: 'write' };
        break;
      case 'cas':
        if (held === op.input.expected) {
          state.set(op.key, op.input.value);
          output = { f: 'cas', swapped: true };
        } else output = { f: 'cas', swapped: false, current: held };
        break;
    }
    if (op.ret !== Number.POSITIVE_INFINITY) op.output = output;
  }
  return planned.map((p) => p.op);
}

export interface Mutation {
  ops: RegisterOp[];
  /** What was changed, e.g. "op 12: read k0 → '3.7' instead of '2.5'". */
  change: string;
}

/**
 * One completed op's answer changed: a read returns another value (one written to its key, or one
 * nobody wrote), a cas that swapped reports a refusal, or a refused cas reports a swap. The result is
 * usually, not always, non-linearizable (a read may change to a concurrent write's value).
 */
export function mutateRegister(ops: readonly RegisterOp[], random: Random): Mutation {
  const candidates = ops.filter((o) => o.output !== undefined && o.input.f !== 'write');
  if (candidates.length === 0) throw new Error('mutateRegister: no read or cas with a known outcome');
  const victim = pick(random, candidates);
  const values = [
    ...new Set(
      ops.filter((o) => o.key === victim.key).flatMap((o) => ('value' in o.input ? [o.input.value] : [])),
    ),
  ];
  let output: RegisterOutput;
  const was = victim.output as RegisterOutput;
  if (was.f === 'read') {
    const others = [INITIAL_VALUE, ...values].filter((v) => v !== was.value);
    output = { f: 'read', value: others.length > 0 && random() < 0.85 ? pick(random, others) : 'ghost' };
  } else if (was.f === 'cas' && was.swapped) {
    const input = victim.input as { expected: string };
    const others = [INITIAL_VALUE, ...values].filter((v) => v !== input.expected);
    output = { f: 'cas', swapped: false, current: others.length > 0 ? pick(random, others) : 'ghost' };
  } else output = { f: 'cas', swapped: true };
  const mutated = ops.map((o) => (o === victim ? { ...o, output } : o));
  return { ops: mutated, change: `op ${victim.id}: ${JSON.stringify(was)} became ${JSON.stringify(output)}` };
}
