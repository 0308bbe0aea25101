/**
 * Every RPC that takes a name — a VM's, a task's, an image's — checks it by
 * one rule before anything else: an invalid or empty name is INVALID_ARGUMENT
 * naming the field, on every node, before any Raft, state or store access
 * (the stubs here throw if reached). A valid name gets past the check.
 */
import { describe, expect, it } from 'vitest';
import type { NodeConfig } from '../config/index.ts';
import type { VmState } from '../gen/blixard_pb.js';
import { P2pService } from '../p2p/index.ts';
import { ClusterState } from '../state/index.ts';
import {
  BlixardService,
  ClusterService,
  createClient,
  type RpcChannel,
  RpcError,
  ServiceRegistry,
} from '../transport/index.ts';
import { taskServices, vmServices } from '../vm/index.ts';
import { raftServices } from './raft-services.ts';

/** Anything a handler touches after validation throws this. */
const PAST = 'past validation';
const stub = <T>(what: string): T =>
  new Proxy(
    {},
    {
      get: (_t, prop) => {
        throw new Error(`${PAST}: ${what}.${String(prop)}`);
      },
    },
  ) as T;
const read = () => Promise.reject(new Error(`${PAST}: read barrier`));

function registry(): ServiceRegistry {
  const state = stub<ClusterState>('state');
  const driver = stub<never>('driver');
  const book = stub<never>('book');
  const reg = new ServiceRegistry();
  const vm = vmServices({
    nodeId: 'n1',
    dataDir: '/nonexistent',
    driver,
    state,
    book,
    proposalTimeoutMs: 1000,
    vm: stub<NodeConfig['vm']>('vm config'),
    manager: stub('manager'),
    read,
  });
  const tasks = taskServices({
    nodeId: 'n1',
    driver,
    state,
    book,
    proposalTimeoutMs: 1000,
    allowlist: ['true'],
    read,
  });
  const raft = raftServices({
    nodeId: 'n1',
    mode: 'grpc',
    driver,
    state: new ClusterState(),
    book,
    proposalTimeoutMs: 1000,
    promoteWhenCaughtUp: () => {},
    read,
  });
  const p2p = new P2pService({
    nodeId: 'n1',
    store: stub('store'),
    state,
    driver: () => driver,
    book,
    endpoint: undefined,
    irohNodeId: undefined,
    irohAddrs: [],
    proposalTimeoutMs: 1000,
    read,
    fetch: { parallel: 1, requestTimeoutMs: 1000, maxAttemptsPerChunk: 1 },
  });
  reg.register(ClusterService, { ...vm.cluster, ...tasks.cluster, ...raft.cluster, ...p2p.handlers() });
  reg.register(BlixardService, { ...vm.blixard, ...tasks.blixard, ...raft.blixard });
  return reg;
}

/** Calls the registry in process, through the same decode and status mapping as both transports. */
function channel(reg: ServiceRegistry): RpcChannel {
  return {
    transport: 'grpc',
    unary: (service, method, request) =>
      reg.invokeUnary(service, method, request, {
        signal: new AbortController().signal,
        transport: 'grpc',
        peer: 'test',
      }),
    serverStream: () => {
      throw new Error('not used');
    },
    close: async () => {},
  };
}

const ch = channel(registry());
const cluster = createClient(ClusterService, ch);
const blixard = createClient(BlixardService, ch);

/** Each RPC that takes a name, the field that carries it, and a call with `name` in that field. */
const CALLS: [string, string, (name: string) => Promise<unknown>][] = [
  ['CreateVm', 'name', (name) => cluster.createVm({ name, vcpus: 1, memoryMb: 64n })],
  [
    'CreateVmWithScheduling',
    'config.name',
    (name) => cluster.createVmWithScheduling({ config: { name, vcpus: 1, memoryMb: 64n } }),
  ],
  ['StartVm', 'name', (name) => cluster.startVm({ name })],
  ['StopVm', 'name', (name) => cluster.stopVm({ name })],
  ['DeleteVm', 'name', (name) => cluster.deleteVm({ name })],
  ['GetVmStatus', 'name', (name) => cluster.getVmStatus({ name })],
  ['MigrateVm', 'vm_name', (vmName) => cluster.migrateVm({ vmName, targetNodeId: 'n2' })],
  ['ReportVmState', 'name', (name) => blixard.reportVmState({ name, state: 3 })],
  ['GetTaskStatus', 'task_id', (taskId) => cluster.getTaskStatus({ taskId })],
  ['ReportTaskResult', 'task_id', (taskId) => blixard.reportTaskResult({ taskId, state: 3 })],
  ['ProposeTask', 'task_id', (taskId) => blixard.proposeTask({ taskId, spec: { command: 'true' } })],
  ['ShareVmImage', 'image_name', (imageName) => cluster.shareVmImage({ imageName, data: Uint8Array.of(1) })],
];

/** Where a name may be left out, only a given one is checked. */
const OPTIONAL_CALLS: [string, string, (name: string) => Promise<unknown>][] = [
  ['SubmitTask', 'task_id', (taskId) => cluster.submitTask({ taskId, spec: { command: 'true' } })],
  ['GetVmImage', 'image_name', (imageName) => cluster.getVmImage({ imageName })],
  ['CreateVm', 'image', (image) => cluster.createVm({ name: 'ok', vcpus: 1, memoryMb: 64n, image })],
];

const INVALID = ['bad name!', '-leading-dash', 'x'.repeat(64), '../../etc/passwd', 'a/b', 'tab\there', 'é'];

async function outcome(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: 'OK', message: '' };
  } catch (err) {
    if (err instanceof RpcError) return { code: err.codeName, message: err.message };
    throw err;
  }
}

describe('names on every RPC that takes one', () => {
  it.each(CALLS)('%s: an empty %s is INVALID_ARGUMENT, saying it is required', async (_rpc, field, call) => {
    expect(await outcome(call(''))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(`${field} is required`),
    });
  });

  it.each([...CALLS, ...OPTIONAL_CALLS])(
    '%s: an invalid %s is INVALID_ARGUMENT, naming the field and the rule',
    async (_rpc, field, call) => {
      for (const name of INVALID) {
        const got = await outcome(call(name));
        expect({ name, ...got }).toEqual({
          name,
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(new RegExp(`${field.replace('.', '\\.')} '.*' must be`)),
        });
      }
    },
  );

  it.each([...CALLS, ...OPTIONAL_CALLS])('%s: a valid %s gets past the check', async (_rpc, _field, call) => {
    for (const name of ['web-1', 'A', 'node_2.img', 'x'.repeat(63)]) {
      const got = await outcome(call(name));
      expect({ name, code: got.code }).not.toEqual({ name, code: 'INVALID_ARGUMENT' });
      expect(got.message).toContain(PAST);
    }
  });

  it('an image may be named by its content hash instead', async () => {
    const hash = 'ab'.repeat(32);
    const got = await outcome(cluster.createVm({ name: 'ok', vcpus: 1, memoryMb: 64n, image: hash }));
    expect(got.message).toContain(PAST);
  });

  it('GetVmImage without a name or a hash says one is required', async () => {
    expect(await outcome(cluster.getVmImage({}))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('image_name or hash is required'),
    });
  });

  it('an unknown VM state filter in ListVms is INVALID_ARGUMENT, not every VM', async () => {
    expect((await outcome(cluster.listVms({ state: 99 as VmState }))).code).toBe('INVALID_ARGUMENT');
  });
});
