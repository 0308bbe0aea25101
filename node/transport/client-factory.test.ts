/**
 * The routed client against a real dual server: groups go where the strategy
 * says (seen by the server's own context), and the gRPC fallback happens only
 * when enabled, and is counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientFactory, type PeerTarget } from './client-factory.ts';
import { SecretKey } from './native-iroh.ts';
import { ServiceRegistry } from './registry.ts';
import { BlixardService, ClusterService } from './services.ts';
import { Code, RpcError } from './status.ts';
import { type LoopbackServer, serveOnLoopback } from './testing.ts';
import type { MigrationStrategy } from './vocabulary.ts';

/** How often each method ran on the server, and on which transport. */
const ran: string[] = [];
const unavailableOverIroh = (name: string, transport: string) => {
  ran.push(`${name}/${transport}`);
  if (transport === 'iroh') throw new RpcError(Code.UNAVAILABLE, 'shedding Iroh load');
};

const registry = new ServiceRegistry()
  .register(ClusterService, {
    healthCheck: (_req, ctx) => ({ healthy: true, message: ctx.transport }),
    getVmStatus: (_req, ctx) => {
      unavailableOverIroh('GetVmStatus', ctx.transport);
      return { found: true, vm: { name: ctx.transport } };
    },
    createVm: (_req, ctx) => {
      unavailableOverIroh('CreateVm', ctx.transport);
      return { success: true, message: ctx.transport };
    },
    listVms: (_req, ctx) => ({ vms: [{ name: ctx.transport }] }),
    getClusterStatus: (_req, ctx) => ({ nodeId: ctx.transport }),
  })
  .register(BlixardService, { proposeTask: (_req, ctx) => ({ success: true, message: ctx.transport }) });

let server: LoopbackServer;
let target: PeerTarget;
beforeAll(async () => {
  server = await serveOnLoopback(registry);
  target = {
    id: 'n1',
    grpc: server.runner.grpcAddress,
    iroh: { nodeId: server.runner.irohNodeId ?? '', addrs: [server.runner.irohAddress ?? ''] },
  };
});
afterAll(() => server?.stop());

/** A peer whose gRPC side is up but whose Iroh node id nobody serves. */
function deadIrohPeer(id: string): PeerTarget {
  return {
    ...target,
    id,
    iroh: { nodeId: SecretKey.generate().public().toString(), addrs: ['127.0.0.1:9'] },
  };
}

function factory(strategy: MigrationStrategy) {
  const events: { transport: string; method: string }[] = [];
  const fallbacks: string[] = [];
  const f = new ClientFactory({
    strategy,
    irohEndpoint: server.client,
    irohConnectTimeoutMs: 1000,
    observer: { onCall: (e) => events.push(e), onFallback: (e) => fallbacks.push(e.method) },
  });
  return { f, events, fallbacks };
}

describe('client factory', () => {
  it('routes each group over the transport the strategy picks', async () => {
    const { f } = factory({ preferIroh: ['health', 'status'], raftTransport: 'grpc', fallbackToGrpc: false });
    const cluster = f.client(ClusterService, target);
    const blixard = f.client(BlixardService, target);
    expect((await cluster.healthCheck({})).message).toBe('iroh');
    expect((await cluster.getClusterStatus({})).nodeId).toBe('iroh');
    expect((await cluster.listVms({})).vms[0]?.name).toBe('grpc');
    expect((await blixard.proposeTask({})).message).toBe('grpc');
    await f.close();
  });

  it('reuses one channel per peer', async () => {
    const { f } = factory({ preferIroh: ['health'], raftTransport: 'iroh', fallbackToGrpc: false });
    expect(f.channel(target)).toBe(f.channel(target));
    const c = f.client(ClusterService, target);
    await c.healthCheck({});
    const conn = await (
      f.channel(target).channel('iroh') as unknown as { connect(): Promise<unknown> }
    ).connect();
    await c.healthCheck({});
    expect(
      await (f.channel(target).channel('iroh') as unknown as { connect(): Promise<unknown> }).connect(),
    ).toBe(conn);
    await f.close();
  });

  it('falls back to gRPC once when Iroh cannot connect, and counts it', async () => {
    const dead = deadIrohPeer('dead-iroh');
    const { f, events, fallbacks } = factory({
      preferIroh: ['health'],
      raftTransport: 'grpc',
      fallbackToGrpc: true,
    });
    const c = f.client(ClusterService, dead);
    expect((await c.healthCheck({}, { timeoutMs: 8000 })).message).toBe('grpc');
    expect(fallbacks).toEqual(['HealthCheck']);
    expect(f.fallbacks).toBe(1);
    expect(events.map((e) => e.transport)).toEqual(['iroh', 'grpc']);
    await f.close();
  });

  it('after a failed connect, sends over gRPC at once for a while (never over Iroh, so any RPC), counted', async () => {
    const dead = deadIrohPeer('dead-iroh-hold');
    const { f, events, fallbacks } = factory({
      preferIroh: ['health', 'raft'],
      raftTransport: 'iroh',
      fallbackToGrpc: true,
    });
    const c = f.client(ClusterService, dead);
    expect((await c.healthCheck({}, { timeoutMs: 8000 })).message).toBe('grpc');
    expect((await c.healthCheck({}, { timeoutMs: 8000 })).message).toBe('grpc');
    expect((await f.client(BlixardService, dead).proposeTask({}, { timeoutMs: 8000 })).message).toBe('grpc');
    expect(fallbacks).toEqual(['HealthCheck', 'HealthCheck', 'ProposeTask']);
    expect(events.map((e) => e.transport)).toEqual(['iroh', 'grpc', 'grpc', 'grpc']);
    await f.close();
  });

  it('never repeats over gRPC a call that reached the peer unless repeating it is harmless', async () => {
    const { f, fallbacks } = factory({
      preferIroh: ['health', 'vm_ops'],
      raftTransport: 'grpc',
      fallbackToGrpc: true,
    });
    ran.length = 0;
    const c = f.client(ClusterService, target);
    // GetVmStatus is a read: the peer's UNAVAILABLE over Iroh is retried over gRPC.
    expect((await c.getVmStatus({ name: 'web-1' })).vm?.name).toBe('grpc');
    // CreateVm ran on the peer (it answered): a second create would not be harmless, so no retry.
    await expect(c.createVm({ name: 'web-1' })).rejects.toMatchObject({
      codeName: 'UNAVAILABLE',
      message: expect.stringMatching(/not retried over gRPC: CreateVm may already have run on n1/),
    });
    expect(ran).toEqual(['GetVmStatus/iroh', 'GetVmStatus/grpc', 'CreateVm/iroh']);
    expect(fallbacks).toEqual(['GetVmStatus']);
    await f.close();
  });

  it('does not fall back when the strategy forbids it', async () => {
    const dead = deadIrohPeer('dead-iroh-2');
    const { f, fallbacks } = factory({
      preferIroh: ['health'],
      raftTransport: 'grpc',
      fallbackToGrpc: false,
    });
    await expect(f.client(ClusterService, dead).healthCheck({}, { timeoutMs: 8000 })).rejects.toMatchObject({
      codeName: 'UNAVAILABLE',
    });
    expect(fallbacks).toEqual([]);
    expect(f.fallbacks).toBe(0);
    await f.close();
  });

  it('does not fall back on an application error', async () => {
    const { f, fallbacks } = factory({ preferIroh: ['vm_ops'], raftTransport: 'grpc', fallbackToGrpc: true });
    await expect(f.client(ClusterService, target).startVm({ name: 'x' })).rejects.toMatchObject({
      codeName: 'UNIMPLEMENTED',
    });
    expect(fallbacks).toEqual([]);
    await f.close();
  });
});
