/**
 * The parity suite against a real three-node cluster: every RPC of the
 * contract, called over gRPC and over Iroh on the same node, ends with the
 * same status code and the same reply (up to values that differ between any
 * two calls, such as uptime or the name a create used).
 */
import { create, type DescMethod, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterOp } from '../../node/gen/blixard_pb.js';
import { LocalCluster } from '../../node/testing/index.ts';
import { allMethods, type CallOptions, methodPath } from '../../node/transport/index.ts';
import { bigints, compareTransports, type ParityTarget } from './parity-suite.ts';

type Transport = 'grpc' | 'iroh';
type Reply = Record<string, unknown>;
type Init = Record<string, unknown>;

interface Case {
  /** The request, the same on both transports or one per transport (for creates). */
  request: Init | ((t: Transport) => Init);
  expect: string;
  /** The part of the reply that must be equal; the whole reply when absent. */
  view?: (reply: Reply) => unknown;
  opts?: () => CallOptions;
}

const pick =
  (...keys: string[]) =>
  (r: Reply) =>
    Object.fromEntries(keys.map((k) => [k, r[k]]));

/** One or more cases per RPC; the coverage test fails when the contract has an RPC without one. */
const CASES: Record<string, Case[]> = {
  'blixard.ClusterService/JoinCluster': [{ request: {}, expect: 'INVALID_ARGUMENT' }],
  'blixard.ClusterService/LeaveCluster': [{ request: { nodeId: 'ghost' }, expect: 'NOT_FOUND' }],
  // Refusals only: a transfer that happened would change the leader under the other cases.
  'blixard.ClusterService/TransferLeadership': [
    { request: { to: 'ghost' }, expect: 'FAILED_PRECONDITION' },
    { request: { to: '../n1' }, expect: 'INVALID_ARGUMENT' },
  ],
  'blixard.ClusterService/GetClusterStatus': [
    {
      request: {},
      expect: 'OK',
      view: (r) => ({ ...pick('leaderId', 'term', 'nodeId', 'mode')(r), n: (r.members as unknown[]).length }),
    },
  ],
  'blixard.ClusterService/SendRaftMessage': [
    { request: { messages: [Uint8Array.of(9, 9, 9)] }, expect: 'INVALID_ARGUMENT' },
  ],
  'blixard.ClusterService/SubmitTask': [
    { request: { taskId: 'parity-bad' }, expect: 'INVALID_ARGUMENT' },
    { request: { taskId: 'parity-denied', spec: { command: 'rm' } }, expect: 'PERMISSION_DENIED' },
  ],
  'blixard.ClusterService/GetTaskStatus': [
    { request: { taskId: 'ghost' }, expect: 'OK', view: pick('found') },
  ],
  'blixard.ClusterService/CreateVm': [
    { request: { name: 'parity-zero', vcpus: 0, memoryMb: 64n }, expect: 'INVALID_ARGUMENT' },
    {
      request: (t) => ({ name: `parity-${t}`, vcpus: 1, memoryMb: 64n }),
      expect: 'OK',
      view: pick('success'),
    },
  ],
  'blixard.ClusterService/CreateVmWithScheduling': [
    { request: {}, expect: 'INVALID_ARGUMENT' },
    {
      request: { config: { name: 'parity-huge', vcpus: 100_000, memoryMb: 1n << 40n } },
      expect: 'RESOURCE_EXHAUSTED',
    },
  ],
  'blixard.ClusterService/StartVm': [{ request: { name: 'ghost' }, expect: 'NOT_FOUND' }],
  'blixard.ClusterService/StopVm': [{ request: { name: 'ghost' }, expect: 'NOT_FOUND' }],
  'blixard.ClusterService/DeleteVm': [{ request: { name: 'ghost' }, expect: 'NOT_FOUND' }],
  'blixard.ClusterService/ListVms': [{ request: { nodeId: 'ghost' }, expect: 'OK' }],
  'blixard.ClusterService/GetVmStatus': [{ request: { name: 'ghost' }, expect: 'NOT_FOUND' }],
  'blixard.ClusterService/MigrateVm': [
    { request: { vmName: 'ghost', targetNodeId: 'n2' }, expect: 'NOT_FOUND' },
  ],
  'blixard.ClusterService/ScheduleVmPlacement': [
    { request: { config: { name: 'p', vcpus: 100_000, memoryMb: 64n } }, expect: 'RESOURCE_EXHAUSTED' },
    { request: { config: { name: 'p', vcpus: 1, memoryMb: 64n } }, expect: 'OK', view: pick('success') },
  ],
  'blixard.ClusterService/GetClusterResourceSummary': [
    { request: {}, expect: 'OK', view: pick('totalNodes', 'total') },
  ],
  'blixard.ClusterService/HealthCheck': [
    { request: {}, expect: 'OK', view: pick('healthy', 'nodeId', 'version') },
  ],
  'blixard.ClusterService/GetP2pStatus': [
    { request: {}, expect: 'OK', view: pick('enabled', 'nodeId', 'irohNodeId') },
  ],
  'blixard.ClusterService/ShareVmImage': [{ request: {}, expect: 'INVALID_ARGUMENT' }],
  'blixard.ClusterService/GetVmImage': [{ request: { imageName: 'ghost' }, expect: 'NOT_FOUND' }],
  'blixard.ClusterService/ListP2pImages': [{ request: {}, expect: 'OK' }],
  'blixard.BlixardService/GetRaftStatus': [
    { request: {}, expect: 'OK', view: pick('nodeId', 'leaderId', 'term', 'role', 'votedFor') },
  ],
  'blixard.BlixardService/ProposeTask': [
    {
      request: { key: 'parity', op: RegisterOp.READ },
      expect: 'OK',
      view: pick('success', 'value', 'found'),
    },
    { request: {}, expect: 'INVALID_ARGUMENT' },
  ],
  'blixard.BlixardService/ReportVmState': [{ request: {}, expect: 'INVALID_ARGUMENT' }],
  'blixard.BlixardService/ReportTaskResult': [{ request: {}, expect: 'INVALID_ARGUMENT' }],
  'grpc.health.v1.Health/Check': [
    { request: { service: '' }, expect: 'OK' },
    { request: { service: 'blixard.ClusterService' }, expect: 'OK', view: pick('status') },
    { request: { service: 'nope' }, expect: 'NOT_FOUND' },
  ],
  // Watch never ends by itself: both transports deliver the current status, then the deadline.
  'grpc.health.v1.Health/Watch': [
    { request: { service: '' }, expect: 'DEADLINE_EXCEEDED', opts: () => ({ timeoutMs: 500 }) },
  ],
};

let cluster: LocalCluster;
let target: ParityTarget;

beforeAll(async () => {
  cluster = await LocalCluster.start({ nodes: 3, mode: 'dual' });
  // Parity is checked on a follower, so forwarding to the leader is exercised on both transports.
  const leader = await cluster.agreedLeader(['n1', 'n2', 'n3']);
  const node = ['n1', 'n2', 'n3'].find((id) => id !== leader) as string;
  target = { grpc: await cluster.channel(node, 'grpc'), iroh: await cluster.channel(node, 'iroh') };
});
afterAll(() => cluster?.stop());

const methods = allMethods();

it('has a parity case for every RPC of the contract', () => {
  expect(methods.map(methodPath).filter((p) => !CASES[p])).toEqual([]);
});

describe.each(methods.map((m) => [methodPath(m), m] as const))(
  '%s on a real follower',
  (path, method: DescMethod) => {
    it.each((CASES[path] ?? []).map((c) => [c.expect, c] as const))(
      'ends with %s on both transports',
      async (_code, c) => {
        const encode = (init: Init) => toBinary(method.input, create(method.input, init as never));
        const make = c.request;
        const request = typeof make === 'function' ? (t: Transport) => encode(make(t)) : encode(make);
        const r = await compareTransports(
          target,
          method,
          request,
          c.opts,
          c.view as ((reply: never) => unknown) | undefined,
        );
        expect([r.grpc.code, r.iroh.code], JSON.stringify(r, bigints)).toEqual([c.expect, c.expect]);
        expect(r.same, JSON.stringify(r, bigints)).toBe(true);
      },
    );
  },
);
