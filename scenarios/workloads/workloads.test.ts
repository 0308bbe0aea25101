/**
 * The workloads' pure parts: each client's op choices from its seed, what it does with what it saw,
 * and the runner's bookkeeping (ids, processes, completions, spread over nodes and transports)
 * against a cluster whose calls never leave the test.
 */
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../lab/runtime/index.ts';
import { seededRandom } from '../../node/lib/index.ts';
import { Code, RpcError } from '../../node/transport/index.ts';
import { checkLinearizable } from '../checkers/index.ts';
import type { NodeServices } from './clients.ts';
import type { WorkloadEntry } from './history.ts';
import { registerOps } from './history.ts';
import { ImagePlanner, sha256 } from './image.ts';
import { specsOf } from './mix.ts';
import { RegisterPlanner } from './register.ts';
import { type PlannedOp, runWorkloads, type WorkloadSpec } from './runner.ts';
import { ADD_ATTEMPTS, AddRejected, addElement, elementsOf, SetPlanner } from './set.ts';
import { TaskPlanner } from './task.ts';
import { VmPlanner } from './vm.ts';

const NODES = ['n1', 'n2', 'n3'];

function take<T>(n: number, next: () => T): T[] {
  return Array.from({ length: n }, next);
}

describe('register planner', () => {
  const plans = (seed: number) => {
    const p = new RegisterPlanner({ client: 3, random: seededRandom(seed, 'c3'), keys: 4, prefix: 'r/' });
    return take(300, () => p.next());
  };

  it('the same seed gives the same ops; another seed others', () => {
    expect(plans(7)).toEqual(plans(7));
    expect(plans(8)).not.toEqual(plans(7));
  });

  it('spreads over every key and every op, values unique per client', () => {
    const ops = plans(7);
    expect(new Set(ops.map((o) => o.key))).toEqual(new Set(['r/k0', 'r/k1', 'r/k2', 'r/k3']));
    expect(new Set(ops.map((o) => o.f))).toEqual(new Set(['read', 'write', 'cas']));
    const values = ops.filter((o) => o.f !== 'read').map((o) => o.value);
    expect(new Set(values).size).toBe(values.length);
    expect(values.every((v) => v?.startsWith('3.'))).toBe(true);
  });

  it("a CAS expects what the client last saw of the key (e.g. a failed CAS's current value)", () => {
    const p = new RegisterPlanner({ client: 0, random: seededRandom(1), keys: 1, prefix: '' });
    p.saw('k0', '2.9');
    const cas = take(50, () => p.next()).find((o) => o.f === 'cas');
    expect(cas?.expected).toBe('2.9');
  });
});

describe('set workload', () => {
  it('adds unique elements to the sets, from the seed', () => {
    const make = () => new SetPlanner({ client: 1, random: seededRandom(5), keys: 2, prefix: 'p.set.' });
    const a = take(200, () => make().next());
    const p = make();
    const ops = take(200, () => p.next());
    expect(take(200, () => make().next())).toEqual(a);
    const adds = ops.filter((o) => o.f === 'set-add').map((o) => o.value);
    expect(new Set(adds).size).toBe(adds.length);
    expect(new Set(ops.map((o) => o.key))).toEqual(new Set(p.keys()));
    expect(ops.some((o) => o.f === 'set-read')).toBe(true);
  });

  function fakeRegister(initial: string, concurrent: string[]) {
    let value = initial;
    const calls: { expected: string; value: string }[] = [];
    const blixard = {
      proposeTask: async (req: { key: string; expected: string; value: string }) => {
        calls.push({ expected: req.expected, value: req.value });
        const other = concurrent.shift();
        if (other !== undefined) value = value === '' ? other : `${value} ${other}`;
        if (req.expected !== value)
          throw new RpcError(Code.FAILED_PRECONDITION, `'${req.key}' is '${value}', not '${req.expected}'`);
        value = req.value;
        return {};
      },
    } as unknown as NodeServices['blixard'];
    return { blixard, calls, value: () => value };
  }

  it('an add retries on the set a failed CAS reported, until it applies', async () => {
    const r = fakeRegister('a', ['b']);
    const seen: string[] = [];
    const written = await addElement(r, 's', 'x', 'a', { timeoutMs: 1000 }, (t) => seen.push(t));
    expect(written).toBe('a b x');
    expect(r.calls).toEqual([
      { expected: 'a', value: 'a x' },
      { expected: 'a b', value: 'a b x' },
    ]);
    expect(elementsOf(r.value())).toEqual(['a', 'b', 'x']);
  });

  it('an add whose every CAS found another set is rejected with the set last found', async () => {
    const r = fakeRegister('', ['a', 'b', 'c', 'd', 'e']);
    const add = addElement(r, 's', 'x', '', { timeoutMs: 1000 }, () => {});
    await expect(add).rejects.toBeInstanceOf(AddRejected);
    await add.catch((err: AddRejected) => expect(err.current).toBe(r.value()));
    expect(r.calls).toHaveLength(ADD_ATTEMPTS);
  });

  it('an add that cannot tell whether its CAS applied stops with that error', async () => {
    const blixard = {
      proposeTask: async () => {
        throw new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded');
      },
    } as unknown as NodeServices['blixard'];
    await expect(addElement({ blixard }, 's', 'x', '', { timeoutMs: 1000 }, () => {})).rejects.toThrow(
      /deadline/,
    );
  });
});

describe('vm planner', () => {
  const make = (seed: number) =>
    new VmPlanner({ client: 2, random: seededRandom(seed), names: 2, prefix: 'p.vm', nodes: NODES });

  it('drives its own names, creating first, from the seed', () => {
    const p = make(3);
    expect(p.names).toEqual(['p.vm2-0', 'p.vm2-1']);
    const first = take(40, () => p.next());
    expect(take(40, () => make(3).next())).toEqual(take(40, () => make(3).next()));
    // Nothing exists yet: mostly creates, every op on the client's own names (a list: the prefix).
    expect(first.filter((o) => o.f === 'vm-create').length).toBeGreaterThan(20);
    for (const o of first) expect(o.f === 'vm-list' ? o.key === 'p.vm' : p.names.includes(o.key)).toBe(true);
  });

  it('follows what it saw: a created VM is started, stopped, migrated elsewhere, deleted', () => {
    const p = make(4);
    const name = 'p.vm2-0';
    p.done({ f: 'vm-create', key: name }, 'ok', { state: 'created', node: 'n2' });
    expect(p.belief(name)).toEqual({ state: 'created', node: 'n2' });
    p.done({ f: 'vm-start', key: name }, 'ok');
    expect(p.belief(name).state).toBe('running');
    const ops = take(200, () => p.next()).filter((o) => o.key === name);
    expect(new Set(ops.map((o) => o.f))).toContain('vm-stop');
    for (const o of ops.filter((o) => o.f === 'vm-migrate')) expect(o.target).not.toBe('n2');
    p.done({ f: 'vm-stop', key: name }, 'info');
    expect(p.belief(name).state).toBe('unknown');
    p.done({ f: 'vm-delete', key: name }, 'fail');
    expect(p.belief(name).state).toBe('unknown');
  });
});

describe('task planner', () => {
  it('submits unique ids up to its bound and reads back only what it submitted', () => {
    const p = new TaskPlanner({ client: 1, random: seededRandom(9), prefix: 'p.t', maxTasks: 5 });
    const submitted: string[] = [];
    const ops = take(100, () => {
      const o = p.next();
      if (o.f === 'task-submit') {
        submitted.push(o.key);
        p.submitted(o.key);
      }
      return o;
    });
    expect(submitted).toEqual(['p.t1-0', 'p.t1-1', 'p.t1-2', 'p.t1-3', 'p.t1-4']);
    for (const o of ops.filter((o) => o.f === 'task-status')) expect(submitted).toContain(o.key);
  });
});

describe('image planner', () => {
  it('shares seeded bytes (the same for the same seed) and fetches only what it shared', () => {
    const make = () =>
      new ImagePlanner({ client: 0, random: seededRandom(11), prefix: 'p.img', maxImages: 3 });
    const a = make().next();
    const b = make().next();
    expect(a?.f).toBe('image-share');
    expect(sha256(a?.data ?? new Uint8Array())).toBe(sha256(b?.data ?? new Uint8Array()));
    const p = make();
    const shared: string[] = [];
    for (let i = 0; i < 60; i++) {
      const o = p.next();
      if (!o) continue;
      if (o.f === 'image-share') {
        shared.push(o.key);
        p.shared(o.key);
      } else expect(shared).toContain(o.key);
    }
    expect(shared).toHaveLength(3);
  });
});

describe('mix', () => {
  it('gives each named workload its clients, leaving out the zeros', () => {
    const specs = specsOf({ register: 3, set: 0, vm: 1, task: 2 }, { keys: 4, prefix: 'p', nodes: NODES });
    expect(specs.map((s) => [s.name, s.clients])).toEqual([
      ['register', 3],
      ['vm', 1],
      ['task', 2],
    ]);
  });
});

/** A cluster whose nodes serve both transports; no call leaves the test (ops ignore their channel). */
function fakeCluster(): Cluster {
  const closed = { close: async () => {} };
  return {
    nodes: NODES.map((id) => ({ id })),
    node: () => ({
      state: { mode: 'dual', clientGrpc: '127.0.0.1:9', clientIroh: '127.0.0.1:9', irohId: 'x' },
    }),
    client: { irohChannel: () => closed },
  } as unknown as Cluster;
}

describe('runner', () => {
  it('records invoke and completion of every op, spread over nodes and transports; info starts a new process', async () => {
    const history: WorkloadEntry[] = [];
    let n = 0;
    const spec: WorkloadSpec = {
      name: 'register',
      clients: 3,
      make: (i) => ({
        next: () => {
          const k = n++;
          return {
            f: 'write',
            key: `k${i}`,
            value: String(k),
            readOnly: false,
            call: async () => {
              if (k % 5 === 1) throw new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded');
              if (k % 5 === 2)
                throw new RpcError(Code.UNAVAILABLE, 'refused before proposing: no leader known');
              return { value: String(k) };
            },
          };
        },
      }),
    };
    let t = 0;
    const summary = await runWorkloads(fakeCluster(), [spec], {
      seed: 1,
      durationMs: 60_000,
      transports: ['grpc', 'iroh'],
      timeoutMs: 100,
      maxOps: 90,
      thinkMs: 0,
      prefix: 'p',
      now: () => t++,
      record: (e) => history.push(e),
    });
    expect(summary.ops).toBe(90);
    expect(summary.info).toBe(18);
    expect(summary.fail).toBe(18);
    const invokes = history.filter((e) => e.type === 'invoke');
    expect(invokes).toHaveLength(90);
    expect(new Set(history.map((e) => e.id)).size).toBe(90);
    expect(new Set(invokes.map((e) => e.node))).toEqual(new Set(NODES));
    expect(new Set(invokes.map((e) => e.transport))).toEqual(new Set(['grpc', 'iroh']));
    // After an info, that worker's next op comes from a new process id; never two ops open at once.
    const open = new Map<number, number>();
    for (const e of history) {
      if (e.type === 'invoke') {
        expect(open.has(e.process)).toBe(false);
        open.set(e.process, e.id);
      } else {
        open.delete(e.process);
        if (e.type === 'info') {
          const later = history.filter((x) => x.type === 'invoke' && x.id > e.id && x.key === e.key);
          for (const x of later) expect(x.process).not.toBe(e.process);
        }
      }
    }
    expect(registerOps(history)).toHaveLength(180);
  });

  it("final reads come after every worker's main phase and after the heal", async () => {
    const history: WorkloadEntry[] = [];
    let healedAt = -1;
    let t = 0;
    const op = (f: 'write' | 'read', key: string): PlannedOp => ({
      f,
      key,
      readOnly: f === 'read',
      call: async () => {
        await new Promise((r) => setTimeout(r, 1));
        return {};
      },
    });
    const spec = (name: 'register' | 'set', withFinal: boolean): WorkloadSpec => ({
      name,
      clients: 2,
      make: (i) => ({
        next: () => op('write', `${name}${i}`),
        ...(withFinal && { final: () => [op('read', `${name}${i}`)] }),
      }),
    });
    await runWorkloads(fakeCluster(), [spec('register', false), spec('set', true)], {
      seed: 2,
      durationMs: 60_000,
      transports: ['grpc'],
      timeoutMs: 100,
      maxOps: 40,
      thinkMs: 0,
      prefix: 'p',
      now: () => t++,
      record: (e) => history.push(e),
      healed: async () => {
        await new Promise((r) => setTimeout(r, 5));
        healedAt = t;
      },
    });
    const reads = history.filter((e) => e.f === 'read' && e.type === 'invoke');
    expect(reads).toHaveLength(2);
    const lastWrite = Math.max(...history.filter((e) => e.f === 'write').map((e) => e.time));
    for (const r of reads) {
      expect(r.time).toBeGreaterThan(lastWrite);
      expect(r.time).toBeGreaterThanOrEqual(healedAt);
    }
  });
});

describe('register ops for the checker', () => {
  const op = (e: Partial<WorkloadEntry>): WorkloadEntry =>
    ({ process: 0, key: 'k', node: 'n1', transport: 'grpc', ...e }) as WorkloadEntry;

  it('a failed CAS that reported the current value is a read of it; other workloads are left out', () => {
    const history = [
      op({ id: 1, type: 'invoke', f: 'cas', value: 'b', expected: 'x', time: 1 }),
      op({ id: 1, type: 'fail', f: 'cas', value: 'b', current: 'a', error: 'FAILED_PRECONDITION', time: 2 }),
      op({ id: 2, type: 'invoke', f: 'set-add', workload: 'set', value: 'e', time: 3 }),
      op({ id: 2, type: 'ok', f: 'set-add', workload: 'set', value: 'e', time: 4 }),
      op({ id: 3, type: 'invoke', f: 'cas', value: 'c', expected: 'y', time: 5 }),
      op({ id: 3, type: 'fail', f: 'cas', value: 'c', error: 'UNAVAILABLE: refused', time: 6 }),
    ];
    expect(registerOps(history)).toEqual([
      { id: 1, process: 0, key: 'k', node: 'n1', transport: 'grpc', type: 'invoke', f: 'read', time: 1 },
      {
        id: 1,
        process: 0,
        key: 'k',
        node: 'n1',
        transport: 'grpc',
        type: 'ok',
        f: 'read',
        value: 'a',
        time: 2,
      },
      { ...history[4] },
      { ...history[5] },
    ]);
  });

  it('so the checker sees a stale value behind a failed CAS', () => {
    const history = [
      op({ id: 1, type: 'invoke', f: 'write', value: 'a', time: 1 }),
      op({ id: 1, type: 'ok', f: 'write', value: 'a', time: 2 }),
      op({ id: 2, type: 'invoke', f: 'cas', value: 'c', expected: 'x', time: 3 }),
      op({ id: 2, type: 'fail', f: 'cas', value: 'c', current: '', error: 'FAILED_PRECONDITION', time: 4 }),
    ];
    expect(checkLinearizable(registerOps(history)).valid).toBe(false);
    expect(checkLinearizable(registerOps(history.slice(0, 2))).valid).toBe(true);
  });
});
