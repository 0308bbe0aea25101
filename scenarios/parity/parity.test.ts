/**
 * Parity: every RPC of the contract, over gRPC and over Iroh against one test
 * service, ends the same way for success, NOT_FOUND, INVALID_ARGUMENT,
 * DEADLINE_EXCEEDED, CANCELLED and UNIMPLEMENTED.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allMethods,
  bindIrohEndpoint,
  type Endpoint,
  GrpcChannel,
  IrohChannel,
  type RpcChannel,
  TransportRunner,
} from '../../node/transport/index.ts';
import { ParityService, sampleRequest } from './parity-service.ts';
import { compareTransports, type ParityTarget } from './parity-suite.ts';

const methods = allMethods();
const requestOf = (m: (typeof methods)[number]) => toBinary(m.input, create(m.input, sampleRequest(m)));

interface Served {
  runner: TransportRunner;
  target: ParityTarget;
}

let dir: string;
let client: Endpoint;
const service = new ParityService();
const bare = new ParityService(methods.map((m) => `${m.parent.typeName}/${m.name}`));
let full: Served;
let empty: Served;

async function serve(svc: ParityService, name: string): Promise<Served> {
  const runner = await TransportRunner.start({
    mode: 'dual',
    registry: svc.registry,
    grpc: { bindAddress: '127.0.0.1:0' },
    iroh: { bindAddress: '127.0.0.1:0', secretKeyFile: join(dir, `${name}.key`) },
  });
  const iroh: RpcChannel = new IrohChannel(client, {
    nodeId: runner.irohNodeId ?? '',
    addrs: [runner.irohAddress ?? ''],
  });
  return { runner, target: { grpc: new GrpcChannel(runner.grpcAddress ?? ''), iroh } };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parity-'));
  client = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0' });
  full = await serve(service, 'full');
  empty = await serve(bare, 'empty');
});

afterAll(async () => {
  for (const s of [full, empty]) {
    await s?.target.grpc.close();
    await s?.target.iroh.close();
    await s?.runner.stop();
  }
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

describe.each(methods.map((m) => [`${m.parent.typeName}/${m.name}`, m] as const))('%s', (_path, method) => {
  it('succeeds with equal replies on both transports', async () => {
    service.behaviour = { kind: 'reply' };
    const r = await compareTransports(full.target, method, requestOf(method));
    expect(r.grpc.code).toBe('OK');
    expect(r.grpc.replies.length).toBeGreaterThan(0);
    expect(
      r.same,
      JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    ).toBe(true);
  });

  it.each(['NOT_FOUND', 'INVALID_ARGUMENT'] as const)('fails with %s on both transports', async (code) => {
    service.behaviour = { kind: 'fail', code };
    const r = await compareTransports(full.target, method, requestOf(method));
    expect([r.grpc.code, r.iroh.code]).toEqual([code, code]);
  });

  it('ends with DEADLINE_EXCEEDED on both transports, leaving no handler running', async () => {
    service.behaviour = { kind: 'hang' };
    const r = await compareTransports(full.target, method, requestOf(method), () => ({ timeoutMs: 150 }));
    expect([r.grpc.code, r.iroh.code]).toEqual(['DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED']);
    // Every handler the deadline caught running was aborted (one that never started needs nothing).
    await expect.poll(() => service.abortedCalls.length).toBe(service.startedCalls.length);
  });

  it('ends with CANCELLED on both transports, and the server handler is aborted', async () => {
    service.behaviour = { kind: 'hang' };
    const before = service.abortedCalls.length;
    const r = await compareTransports(full.target, method, requestOf(method), () => {
      // Cancel once the server runs the handler, so the cancel has something to reach.
      const ctrl = new AbortController();
      const started = service.startedCalls.length;
      const timer = setInterval(() => {
        if (service.startedCalls.length > started) {
          clearInterval(timer);
          ctrl.abort();
        }
      }, 5);
      setTimeout(() => clearInterval(timer), 10_000).unref();
      return { signal: ctrl.signal };
    });
    expect([r.grpc.code, r.iroh.code]).toEqual(['CANCELLED', 'CANCELLED']);
    await expect
      .poll(() =>
        service.abortedCalls
          .slice(before)
          .map((c) => c.transport)
          .sort(),
      )
      .toEqual(['grpc', 'iroh']);
  });

  it('answers UNIMPLEMENTED on both transports when the node lacks the handler', async () => {
    const r = await compareTransports(empty.target, method, requestOf(method));
    expect([r.grpc.code, r.iroh.code]).toEqual(['UNIMPLEMENTED', 'UNIMPLEMENTED']);
  });

  it('answers INVALID_ARGUMENT on both transports for bytes that are not the request message', async () => {
    service.behaviour = { kind: 'reply' };
    // Field 1 with wire type 7, which no protobuf encoding has: undecodable as any message (a length
    // running past the end would decode as a packed enum where field 1 is one, e.g. `consistency`).
    const garbage = Uint8Array.of(0x0f);
    const r = await compareTransports(full.target, method, garbage);
    expect([r.grpc.code, r.iroh.code]).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  });
});

describe('methods outside the contract', () => {
  it('answer UNIMPLEMENTED on both transports', async () => {
    const fake = { ...methods[0], name: 'NoSuchMethod' } as (typeof methods)[number];
    const r = await compareTransports(full.target, fake, new Uint8Array(0));
    expect([r.grpc.code, r.iroh.code]).toEqual(['UNIMPLEMENTED', 'UNIMPLEMENTED']);
  });
});
