/**
 * The replicated state machine: members, VMs, tasks, images and registers.
 * `apply` is a pure function of the state and the command (no clock, no
 * randomness: times travel inside commands), so every replica that applies
 * the same log holds the same state — which `digest()` lets a checker verify.
 */
import { createHash } from 'node:crypto';
import type { AddressRecord, Command, ResourcesRecord, VmSpecRecord, VmStateName } from './commands.ts';
import { nodeUsage } from './usage.ts';

export interface MemberRecord {
  id: string;
  address: AddressRecord;
  capacity: ResourcesRecord;
}

export interface VmRecord extends VmSpecRecord {
  state: VmStateName;
  migratingTo: string;
  /** Guest pid on the owning node while running (0 otherwise), and since when. */
  pid: number;
  startedAtMs: number;
}

export interface TaskRecord {
  id: string;
  command: string;
  args: string[];
  node: string;
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  output: string;
  error: string;
  exitCode: number;
  submittedAtMs: number;
  timeoutSecs: number;
  startedAtMs: number;
  finishedAtMs: number;
}

export interface ImageRecord {
  name: string;
  version: string;
  hash: string;
  size: number;
  holders: string[];
  createdAtMs: number;
}

/** The outcome of applying one command; failures are deterministic too. */
export type ApplyResult =
  | { ok: true; value?: string; found?: boolean }
  | {
      ok: false;
      code:
        | 'NOT_FOUND'
        | 'ALREADY_EXISTS'
        | 'FAILED_PRECONDITION'
        | 'INVALID_ARGUMENT'
        | 'RESOURCE_EXHAUSTED';
      message: string;
    };

interface StateData {
  members: Record<string, MemberRecord>;
  vms: Record<string, VmRecord>;
  tasks: Record<string, TaskRecord>;
  images: Record<string, ImageRecord>;
  registers: Record<string, string>;
}

const empty = (): StateData => ({ members: {}, vms: {}, tasks: {}, images: {}, registers: {} });

export class ClusterState {
  private data: StateData = empty();
  private appliedIndex = 0;
  private cachedDigest: { index: number; digest: string } | undefined;

  get applied(): number {
    return this.appliedIndex;
  }

  apply(index: number, cmd: Command): ApplyResult {
    if (index <= this.appliedIndex) throw new Error(`apply of index ${index} after ${this.appliedIndex}`);
    this.appliedIndex = index;
    return this.execute(cmd);
  }

  /** Marks an index applied that carried no command (a Raft conf change or an empty entry). */
  skip(index: number): void {
    if (index > this.appliedIndex) this.appliedIndex = index;
  }

  // ---- queries --------------------------------------------------------------------------------

  members(): MemberRecord[] {
    return sortedValues(this.data.members);
  }
  member(id: string): MemberRecord | undefined {
    return this.data.members[id];
  }
  vms(): VmRecord[] {
    return sortedValues(this.data.vms);
  }
  vm(name: string): VmRecord | undefined {
    return this.data.vms[name];
  }
  tasks(): TaskRecord[] {
    return sortedValues(this.data.tasks);
  }
  task(id: string): TaskRecord | undefined {
    return this.data.tasks[id];
  }
  images(): ImageRecord[] {
    return sortedValues(this.data.images);
  }
  image(name: string): ImageRecord | undefined {
    return this.data.images[name];
  }
  register(key: string): string | undefined {
    return this.data.registers[key];
  }

  /** SHA-256 of the canonical state, hex; equal on replicas at the same applied index. */
  digest(): string {
    if (this.cachedDigest?.index !== this.appliedIndex) {
      const digest = createHash('sha256').update(canonicalJson(this.data)).digest('hex');
      this.cachedDigest = { index: this.appliedIndex, digest };
    }
    return this.cachedDigest.digest;
  }

  // ---- snapshots ------------------------------------------------------------------------------

  snapshot(): Uint8Array {
    return new TextEncoder().encode(canonicalJson({ applied: this.appliedIndex, data: this.data }));
  }

  restore(bytes: Uint8Array, index: number): void {
    if (bytes.length === 0) {
      this.data = empty();
    } else {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { data: StateData };
      this.data = { ...empty(), ...parsed.data };
    }
    this.appliedIndex = index;
    this.cachedDigest = undefined;
  }

  // ---- commands -------------------------------------------------------------------------------

  private execute(cmd: Command): ApplyResult {
    const d = this.data;
    switch (cmd.type) {
      case 'noop':
        return { ok: true };
      case 'member.join':
        d.members[cmd.id] = { id: cmd.id, address: cmd.address, capacity: cmd.capacity };
        return { ok: true };
      case 'member.leave':
        if (!d.members[cmd.id]) return { ok: false, code: 'NOT_FOUND', message: `no member '${cmd.id}'` };
        delete d.members[cmd.id];
        return { ok: true };
      case 'register.write':
        d.registers[cmd.key] = cmd.value;
        return { ok: true, value: cmd.value };
      case 'register.cas': {
        const current = d.registers[cmd.key] ?? '';
        if (current !== cmd.expected) {
          return {
            ok: false,
            code: 'FAILED_PRECONDITION',
            message: `'${cmd.key}' is '${current}', not '${cmd.expected}'`,
          };
        }
        d.registers[cmd.key] = cmd.value;
        return { ok: true, value: cmd.value };
      }
      case 'vm.create': {
        if (d.vms[cmd.vm.name])
          return { ok: false, code: 'ALREADY_EXISTS', message: `vm '${cmd.vm.name}' exists` };
        if (cmd.fit) {
          const refused = this.refuseUnlessFits(cmd.vm, cmd.vm.node);
          if (refused) return refused;
        }
        d.vms[cmd.vm.name] = {
          ...cmd.vm,
          state: cmd.state ?? 'created',
          migratingTo: '',
          pid: 0,
          startedAtMs: 0,
        };
        return { ok: true };
      }
      case 'vm.state': {
        const vm = d.vms[cmd.name];
        if (!vm) return { ok: false, code: 'NOT_FOUND', message: `no vm '${cmd.name}'` };
        if (cmd.expect && !cmd.expect.includes(vm.state)) {
          return {
            ok: false,
            code: 'FAILED_PRECONDITION',
            message: `vm '${cmd.name}' is ${vm.state}, not ${cmd.expect.join(' or ')}`,
          };
        }
        if (cmd.expectNode !== undefined && vm.node !== cmd.expectNode) {
          return {
            ok: false,
            code: 'FAILED_PRECONDITION',
            message: `vm '${cmd.name}' is on ${vm.node}, not ${cmd.expectNode}`,
          };
        }
        if (cmd.fit) {
          const target = cmd.migratingTo || cmd.node || vm.node;
          const refused = this.refuseUnlessFits(vm, target);
          if (refused) return refused;
        }
        vm.state = cmd.state;
        if (cmd.node !== undefined) vm.node = cmd.node;
        vm.migratingTo = cmd.migratingTo ?? '';
        if (cmd.state === 'running' && cmd.pid !== undefined) {
          if (vm.pid !== cmd.pid) vm.startedAtMs = cmd.atMs ?? 0;
          vm.pid = cmd.pid;
        } else if (cmd.state !== 'running' && cmd.state !== 'migrating') {
          vm.pid = 0;
          vm.startedAtMs = 0;
        }
        return { ok: true };
      }
      case 'vm.delete': {
        const vm = d.vms[cmd.name];
        if (!vm) return { ok: false, code: 'NOT_FOUND', message: `no vm '${cmd.name}'` };
        if (vm.state === 'running' || vm.state === 'starting' || vm.state === 'migrating') {
          return {
            ok: false,
            code: 'FAILED_PRECONDITION',
            message: `vm '${cmd.name}' is ${vm.state}; stop it first`,
          };
        }
        delete d.vms[cmd.name];
        return { ok: true };
      }
      case 'task.submit':
        if (d.tasks[cmd.id]) return { ok: false, code: 'ALREADY_EXISTS', message: `task '${cmd.id}' exists` };
        d.tasks[cmd.id] = {
          id: cmd.id,
          command: cmd.command,
          args: cmd.args,
          node: cmd.node,
          state: 'pending',
          output: '',
          error: '',
          exitCode: 0,
          submittedAtMs: cmd.submittedAtMs,
          timeoutSecs: cmd.timeoutSecs ?? 0,
          startedAtMs: 0,
          finishedAtMs: 0,
        };
        return { ok: true };
      case 'task.result': {
        const task = d.tasks[cmd.id];
        if (!task) return { ok: false, code: 'NOT_FOUND', message: `no task '${cmd.id}'` };
        Object.assign(task, {
          state: cmd.state,
          output: cmd.output,
          error: cmd.error,
          exitCode: cmd.exitCode,
        });
        if (cmd.state === 'running') task.startedAtMs = cmd.atMs;
        if (cmd.state === 'succeeded' || cmd.state === 'failed') task.finishedAtMs = cmd.atMs;
        return { ok: true };
      }
      case 'image.add': {
        const image = d.images[cmd.name];
        if (image && image.hash !== cmd.hash) {
          Object.assign(image, {
            version: cmd.version,
            hash: cmd.hash,
            size: cmd.size,
            holders: [cmd.holder],
          });
          return { ok: true };
        }
        if (image) {
          if (!image.holders.includes(cmd.holder)) image.holders = [...image.holders, cmd.holder].sort();
          return { ok: true };
        }
        d.images[cmd.name] = {
          name: cmd.name,
          version: cmd.version,
          hash: cmd.hash,
          size: cmd.size,
          holders: [cmd.holder],
          createdAtMs: cmd.atMs,
        };
        return { ok: true };
      }
    }
  }

  /** RESOURCE_EXHAUSTED when `vm` does not fit what `node` reported, next to the VMs it already holds. */
  private refuseUnlessFits(
    vm: { name: string; vcpus: number; memoryMb: number },
    node: string,
  ): ApplyResult | undefined {
    const member = this.data.members[node];
    if (!member) return { ok: false, code: 'NOT_FOUND', message: `no member '${node}'` };
    const used = nodeUsage(this.vms(), node, vm.name);
    const cap = member.capacity;
    if (used.vcpus + vm.vcpus > cap.vcpus || used.memoryMb + vm.memoryMb > cap.memoryMb) {
      return {
        ok: false,
        code: 'RESOURCE_EXHAUSTED',
        message:
          `vm '${vm.name}' (${vm.vcpus} vcpus, ${vm.memoryMb} MB) does not fit ${node}: ` +
          `${cap.vcpus - used.vcpus} vcpus and ${cap.memoryMb - used.memoryMb} MB free`,
      };
    }
    return undefined;
  }
}

function sortedValues<T>(record: Record<string, T>): T[] {
  return Object.keys(record)
    .sort()
    .map((k) => record[k] as T);
}

/** JSON with object keys sorted at every level: one byte string per state. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
