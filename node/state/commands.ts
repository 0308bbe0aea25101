/**
 * The commands of the replicated state machine, as carried in Raft entries:
 * JSON, validated on decode so a corrupt or foreign entry is a clear error.
 */
import { z } from 'zod';

const resources = z.strictObject({
  vcpus: z.number().int().min(0),
  memoryMb: z.number().int().min(0),
  diskGb: z.number().int().min(0),
});
export type ResourcesRecord = z.infer<typeof resources>;

const address = z.strictObject({
  grpc: z.string(),
  irohNodeId: z.string(),
  irohAddrs: z.array(z.string()),
});
export type AddressRecord = z.infer<typeof address>;

export const VM_STATES = [
  'created',
  'starting',
  'running',
  'stopping',
  'stopped',
  'failed',
  'migrating',
] as const;
export type VmStateName = (typeof VM_STATES)[number];

const vm = z.strictObject({
  name: z.string().min(1),
  vcpus: z.number().int().min(1),
  memoryMb: z.number().int().min(1),
  image: z.string(),
  node: z.string(),
  antiAffinityGroup: z.string(),
  metadata: z.record(z.string(), z.string()),
});
export type VmSpecRecord = z.infer<typeof vm>;

export const TASK_STATES = ['pending', 'running', 'succeeded', 'failed'] as const;

export const CommandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('noop') }),
  z.strictObject({ type: z.literal('member.join'), id: z.string().min(1), address, capacity: resources }),
  z.strictObject({ type: z.literal('member.leave'), id: z.string().min(1) }),
  z.strictObject({ type: z.literal('register.write'), key: z.string(), value: z.string() }),
  z.strictObject({
    type: z.literal('register.cas'),
    key: z.string(),
    expected: z.string(),
    value: z.string(),
  }),
  z.strictObject({
    type: z.literal('vm.create'),
    vm,
    /** The state it starts in (default created): a create that also starts is one entry. */
    state: z.enum(VM_STATES).optional(),
    /** Refuse (RESOURCE_EXHAUSTED) when the VM does not fit its node's reported capacity. */
    fit: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('vm.state'),
    name: z.string(),
    state: z.enum(VM_STATES),
    node: z.string().optional(),
    migratingTo: z.string().optional(),
    /** Guards: the VM must be in one of these states, owned by this node (FAILED_PRECONDITION otherwise). */
    expect: z.array(z.enum(VM_STATES)).optional(),
    expectNode: z.string().optional(),
    /** The guest's pid on its node when running, and when it started. */
    pid: z.number().int().min(0).optional(),
    atMs: z.number().optional(),
    /** Check that the VM fits `migratingTo` (or the new `node`) before moving it there. */
    fit: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('vm.delete'), name: z.string() }),
  z.strictObject({
    type: z.literal('task.submit'),
    id: z.string().min(1),
    command: z.string(),
    args: z.array(z.string()),
    node: z.string(),
    submittedAtMs: z.number(),
    /** 0 or absent: the running node's default. */
    timeoutSecs: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    type: z.literal('task.result'),
    id: z.string(),
    state: z.enum(TASK_STATES),
    output: z.string(),
    error: z.string(),
    exitCode: z.number().int(),
    atMs: z.number(),
  }),
  z.strictObject({
    type: z.literal('image.add'),
    name: z.string().min(1),
    version: z.string(),
    hash: z.string().min(1),
    size: z.number().int().min(0),
    holder: z.string(),
    atMs: z.number(),
  }),
]);

export type Command = z.infer<typeof CommandSchema>;

export function encodeCommand(cmd: Command): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(cmd));
}

export function decodeCommand(bytes: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`state machine command is not JSON (${bytes.length} bytes)`);
  }
  const result = CommandSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`invalid state machine command: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  return result.data;
}
