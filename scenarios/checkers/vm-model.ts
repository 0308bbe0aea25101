/**
 * The VM record per name, as the replicated state holds it (node/state, node/vm/vm-services.ts): its
 * lifecycle is a state machine. Client ops (CreateVm, StartVm, StopVm, DeleteVm, MigrateVm) move it
 * or are refused according to its state; GetVmStatus and ListVms read it. Between client ops the
 * owner moves it on its own (it boots a starting VM, a guest fails, a stop or a hand-off completes),
 * so the model's state is the set of records the VM may be in, closed under those moves:
 *
 *   starting@n → running@n | failed@n     running@n → failed@n     stopping@n → stopped@n
 *   migrating@n>t → starting@t
 *
 * A refusal that depends on the record (NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION) is a read of
 * it and is checked; other failures (no leader, not forwarded, bad arguments) did not happen.
 *
 * Records (`OpRecord`, key = the VM's name): f create | start | stop | delete | migrate | status |
 * list (or vm-create … vm-list). Inputs in the invoke's `value` as JSON where there are any: create
 * `{"node": "n2"}` (a node asked for, optional), stop `{"force": true}`, migrate `{"target": "n2",
 * "force": false}` or just the target. Ok replies in the completion's `result` (or as JSON in
 * `value`): create `{"node": "n2"}` (where it was placed), status `{"found": true, "state":
 * "running", "node": "n2"}`, migrate `{"status": "MIGRATING"}`, list `{"vms": [{"name": "vm1",
 * "state": "running", "node": "n2"}, ...]}` or the array alone (the invoke's key is ignored).
 * Failures: the status code leads `error` ("FAILED_PRECONDITION: ...").
 */
import { VM_STATES, type VmStateName } from '../../node/state/index.ts';
import { errorCode, type OpRecord, pairOps } from './history.ts';
import { hashString, type Model, type Operation, partitionByKey, span } from './model.ts';

export type VmInput =
  | { f: 'create'; node?: string | undefined }
  | { f: 'start' }
  | { f: 'stop'; force?: boolean | undefined }
  | { f: 'delete' }
  | { f: 'migrate'; target: string; force?: boolean | undefined }
  | { f: 'status' };

/** The refusals that depend on the VM's record (or, for RESOURCE_EXHAUSTED, may happen whenever it would move). */
export const VM_REFUSALS = [
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'RESOURCE_EXHAUSTED',
] as const;
export type VmRefusal = (typeof VM_REFUSALS)[number];

export type VmOutput =
  | { ok: true; node?: string | undefined; state?: VmStateName | undefined; status?: string | undefined }
  | { ok: false; code: VmRefusal };

export type VmOp = Operation<VmInput, VmOutput>;

/** One record: absent, or phase@node (migrating@node>target). node '*': placed, but where is unknown. */
interface Rec {
  phase: VmStateName | 'absent';
  node: string;
  target: string;
}

const ABSENT: Rec = { phase: 'absent', node: '', target: '' };
const encode = (r: Rec) =>
  r.phase === 'absent'
    ? 'absent'
    : r.phase === 'migrating'
      ? `migrating@${r.node}>${r.target}`
      : `${r.phase}@${r.node}`;
function decode(s: string): Rec {
  if (s === 'absent') return ABSENT;
  const [phase, rest] = s.split('@') as [VmStateName, string];
  const [node, target] = rest.split('>') as [string, string | undefined];
  return { phase, node, target: target ?? '' };
}

/** What the owner may do to a record on its own, transitively. */
function closure(recs: Iterable<string>): string {
  const all = new Set<string>();
  const todo = [...recs];
  while (todo.length > 0) {
    const s = todo.pop() as string;
    if (all.has(s)) continue;
    all.add(s);
    const r = decode(s);
    const at = (phase: VmStateName, node = r.node) => encode({ phase, node, target: '' });
    if (r.phase === 'starting') todo.push(at('running'), at('failed'));
    else if (r.phase === 'running') todo.push(at('failed'));
    else if (r.phase === 'stopping') todo.push(at('stopped'));
    else if (r.phase === 'migrating') todo.push(at('starting', r.target));
  }
  return [...all].sort().join(' | ');
}

type Outcome = { out: VmOutput; next: Rec };
const ok = (next: Rec, extra: Omit<Extract<VmOutput, { ok: true }>, 'ok'> = {}): Outcome => ({
  out: { ok: true, ...extra },
  next,
});
const no = (code: VmRefusal, r: Rec): Outcome => ({ out: { ok: false, code }, next: r });

/** Every outcome op may have in record r (the service's checks in the order it makes them). */
function outcomes(r: Rec, input: VmInput, placedOn: string | undefined): Outcome[] {
  const with_ = (phase: VmStateName, node = r.node, target = ''): Rec => ({ phase, node, target });
  switch (input.f) {
    case 'create': {
      if (r.phase !== 'absent') return [no('ALREADY_EXISTS', r)];
      const node = placedOn ?? input.node ?? '*';
      // Placement, the image catalog and capacity may refuse a create; none changes the record.
      return [ok(with_('starting', node), { node }), no('RESOURCE_EXHAUSTED', r), no('NOT_FOUND', r)];
    }
    case 'start':
      if (r.phase === 'absent') return [no('NOT_FOUND', r)];
      if (r.phase === 'running' || r.phase === 'starting') return [ok(r)];
      if (r.phase === 'migrating' || r.phase === 'stopping') return [no('FAILED_PRECONDITION', r)];
      return [ok(with_('starting'))];
    case 'stop':
      if (r.phase === 'absent') return [no('NOT_FOUND', r)];
      if (r.phase === 'stopped' || r.phase === 'created' || r.phase === 'stopping') return [ok(r)];
      if (r.phase === 'migrating' && !input.force) return [no('FAILED_PRECONDITION', r)];
      return [ok(with_(r.phase === 'failed' ? 'stopped' : 'stopping'))];
    case 'delete':
      if (r.phase === 'absent') return [no('NOT_FOUND', r)];
      if (r.phase === 'created' || r.phase === 'stopped' || r.phase === 'failed') return [ok(ABSENT)];
      return [no('FAILED_PRECONDITION', r)];
    case 'migrate': {
      // NOT_FOUND also answers a target that is not a member: a refusal the record cannot explain.
      if (r.phase === 'absent') return [no('NOT_FOUND', r)];
      const notMember = no('NOT_FOUND', r);
      if (r.node === input.target) return [no('FAILED_PRECONDITION', r), notMember];
      const full = no('RESOURCE_EXHAUSTED', r);
      if (r.phase === 'running' || r.phase === 'starting')
        return [ok(with_('migrating', r.node, input.target), { status: 'MIGRATING' }), full, notMember];
      if (r.phase === 'migrating') {
        const refused = no('FAILED_PRECONDITION', r);
        if (!input.force) return [refused, notMember];
        return [ok(with_('starting', input.target), { status: 'TAKEN_OVER' }), refused, full, notMember];
      }
      if (r.phase === 'created' || r.phase === 'stopped' || r.phase === 'failed')
        return [ok(with_(r.phase, input.target), { status: 'MOVED' }), full, notMember];
      return [no('FAILED_PRECONDITION', r), notMember];
    }
    case 'status':
      if (r.phase === 'absent') return [no('NOT_FOUND', r)];
      return [ok(r, { state: r.phase, node: r.node })];
  }
}

/** Whether an outcome the model allows is the one observed (fields the observation lacks match anything). */
function matches(allowed: VmOutput, seen: VmOutput, r: Rec): { yes: boolean; node?: string } {
  if (allowed.ok !== seen.ok) return { yes: false };
  if (!allowed.ok || !seen.ok) return { yes: !allowed.ok && !seen.ok && allowed.code === seen.code };
  if (seen.state !== undefined && allowed.state !== seen.state) return { yes: false };
  if (seen.status !== undefined && allowed.status !== undefined && allowed.status !== seen.status)
    return { yes: false };
  if (seen.node !== undefined && allowed.node !== undefined && allowed.node !== seen.node) {
    // A record placed somewhere unknown learns where from the first status that names a node.
    if (allowed.node === '*' && r.node === '*') return { yes: true, node: seen.node };
    return { yes: false };
  }
  return { yes: true };
}

export const vmModel: Model<string, VmInput, VmOutput> = {
  name: 'vm',
  init: () => 'absent',
  step(state, input, output) {
    const next: string[] = [];
    const placedOn = input.f === 'create' && output?.ok ? output.node : undefined;
    for (const s of state.split(' | ')) {
      const r = decode(s);
      for (const o of outcomes(r, input, placedOn)) {
        if (output === undefined) {
          next.push(encode(o.next));
          continue;
        }
        const m = matches(o.out, output, r);
        if (!m.yes) continue;
        next.push(encode(m.node !== undefined ? { ...o.next, node: m.node } : o.next));
      }
    }
    return next.length === 0 ? undefined : closure(next);
  },
  partition: partitionByKey,
  hash: hashString,
  describeOperation(op) {
    const i = op.input;
    const args =
      i.f === 'create'
        ? i.node
          ? ` on ${i.node}`
          : ''
        : i.f === 'migrate'
          ? ` to ${i.target}${i.force ? ' (force)' : ''}`
          : i.f === 'stop' && i.force
            ? ' (force)'
            : '';
    const o = op.output;
    const result =
      o === undefined
        ? '?'
        : !o.ok
          ? o.code
          : [o.state, o.node && `on ${o.node}`, o.status].filter((x) => x).join(' ') || 'ok';
    return `op ${op.id} p${op.process} ${i.f} ${op.key}${args} → ${result} ${span(op)}`;
  },
  describeState: (s) => `{${s}}`,
};

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined || text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`history: ${what}: value is not JSON (${text})`);
  }
}

const VM_FNS = new Set(['create', 'start', 'stop', 'delete', 'migrate', 'status', 'list']);

function stateName(x: unknown, what: string): VmStateName {
  if (typeof x !== 'string' || !(VM_STATES as readonly string[]).includes(x))
    throw new Error(`history: ${what}: unknown vm state '${String(x)}'`);
  return x as VmStateName;
}

/** A completion's structured reply: `result` when recorded, else JSON in `value`. */
function replyOf(done: OpRecord, what: string): Record<string, unknown> | unknown[] {
  const reply = done.result !== undefined ? done.result : parseJson(done.value, what);
  if (reply === null || typeof reply !== 'object')
    throw new Error(`history: ${what}: the reply is not an object`);
  return reply as Record<string, unknown> | unknown[];
}

/** An invoke's arguments: JSON in `value`, or (a migrate) the target node as plain text. */
function argsOf(
  invoke: OpRecord,
  f: string,
  what: string,
): { node?: string; force?: boolean; target?: string } {
  const text = invoke.value;
  if (f === 'migrate' && text !== undefined && !text.trimStart().startsWith('{')) return { target: text };
  return parseJson(text, what) as { node?: string; force?: boolean; target?: string };
}

/**
 * The VM ops of a history (f create … list, or vm-create … vm-list). A list becomes one status read
 * per name the history mentions (listed: its state and node; not listed: NOT_FOUND), each at the
 * list's interval. Failures that are not refusals by the record are dropped; reads with unknown
 * outcome are dropped.
 */
export function vmOperations(history: readonly OpRecord[]): VmOp[] {
  const prefixed = history.some((r) => r.f.startsWith('vm-'));
  const fn = (r: OpRecord) => (prefixed ? (r.f.startsWith('vm-') ? r.f.slice(3) : '') : r.f);
  const pairs = pairOps(history.filter((r) => VM_FNS.has(fn(r))));
  const names = [...new Set(pairs.filter((p) => fn(p.invoke) !== 'list').map((p) => p.invoke.key))].sort();
  const ops: VmOp[] = [];
  for (const { invoke, done } of pairs) {
    const f = fn(invoke);
    const what = `vm op ${invoke.id} (${f})`;
    const base = { id: invoke.id, process: invoke.process, call: invoke.time };
    const known = done !== undefined && done.type !== 'info';
    const read = f === 'status' || f === 'list';
    let output: VmOutput | undefined;
    if (done?.type === 'fail') {
      const code = errorCode(done.error);
      if (!(VM_REFUSALS as readonly string[]).includes(code ?? '')) continue;
      if (f === 'list') continue;
      output = { ok: false, code: code as VmRefusal };
    }
    if (read && !known) continue;
    const ret = known ? (done as OpRecord).time : Number.POSITIVE_INFINITY;
    if (f === 'list') {
      const reply = replyOf(done as OpRecord, what);
      const listed = Array.isArray(reply) ? reply : (reply as { vms?: unknown }).vms;
      if (!Array.isArray(listed))
        throw new Error(`history: ${what}: a list's reply must be an array of VMs (or { vms: [...] })`);
      const byName = new Map<string, { state: VmStateName; node: string }>();
      for (const v of listed as { name?: unknown; state?: unknown; node?: unknown }[])
        byName.set(String(v.name), { state: stateName(v.state, what), node: String(v.node ?? '') });
      for (const name of names) {
        const v = byName.get(name);
        ops.push({
          ...base,
          key: name,
          input: { f: 'status' },
          output: v ? { ok: true, state: v.state, node: v.node } : { ok: false, code: 'NOT_FOUND' },
          ret,
        });
      }
      continue;
    }
    const args = argsOf(invoke, f, what);
    const input: VmInput =
      f === 'create'
        ? { f: 'create', node: args.node || undefined }
        : f === 'stop'
          ? { f: 'stop', force: args.force }
          : f === 'migrate'
            ? { f: 'migrate', target: String(args.target ?? ''), force: args.force }
            : { f: f as 'start' | 'delete' | 'status' };
    if (output === undefined && known) {
      const v = replyOf(done as OpRecord, what) as {
        node?: string;
        state?: unknown;
        status?: string;
        found?: boolean;
      };
      output =
        f === 'status' && v.found === false
          ? { ok: false, code: 'NOT_FOUND' }
          : {
              ok: true,
              node: f === 'create' || f === 'status' ? v.node || undefined : undefined,
              state: f === 'status' && v.state !== undefined ? stateName(v.state, what) : undefined,
              status: f === 'migrate' ? v.status || undefined : undefined,
            };
    }
    ops.push({ ...base, key: invoke.key, input, output, ret });
  }
  return ops;
}
