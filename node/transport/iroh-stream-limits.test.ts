/**
 * Stalled streams on the Iroh RPC port: a stream that never completes its
 * Request frame is answered DEADLINE_EXCEEDED and let go once the request read
 * deadline passes, a peer over its stream limit is refused, and neither stops
 * a well-behaved client — on another endpoint, on another connection of the
 * same endpoint, or on the very connection that holds the stalled streams.
 * Every bound here is a multiple of the configured read deadline.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { release, withTimeout } from '../lib/index.ts';
import { decodeResponse, encodeRequest } from './envelope.ts';
import { parseErrorText } from './error-text.ts';
import { encodeFrame, FrameType, HEADER_BYTES } from './frame.ts';
import { IrohChannel } from './iroh-channel.ts';
import { bindIrohEndpoint, dial, RPC_ALPN, toEndpointAddr } from './iroh-endpoint.ts';
import { FrameReader } from './iroh-stream.ts';
import type { BiStream, Connection, Endpoint } from './native-iroh.ts';
import { ServiceRegistry } from './registry.ts';
import { ClusterService } from './services.ts';
import { codeName } from './status.ts';
import { type LoopbackServer, serveOnLoopback } from './testing.ts';

/** The server's request read deadline in this test; every wait below derives from it. */
const READ_DEADLINE_MS = 2500;
const PER_PEER = 150;
const STALLS_PER_CONNECTION = 100;

const registry = new ServiceRegistry().register(ClusterService, {
  healthCheck: () => ({ healthy: true, nodeId: 'n1' }),
});

let server: LoopbackServer;
let other: Endpoint;
const timeouts: string[] = [];
const limited: string[] = [];

beforeAll(async () => {
  server = await serveOnLoopback(registry, {
    streams: {
      requestReadTimeoutMs: READ_DEADLINE_MS,
      maxStreamsPerConnection: STALLS_PER_CONNECTION,
      maxStreamsPerPeer: PER_PEER,
      onRequestReadTimeout: (peer) => timeouts.push(peer),
      onStreamLimited: (limit) => limited.push(limit),
    },
  });
  other = await bindIrohEndpoint({ bindAddress: '127.0.0.1:0' });
});
afterAll(async () => {
  await server?.stop();
  await other?.close();
});

async function rawConnection(endpoint: Endpoint): Promise<Connection> {
  const addr = await toEndpointAddr({
    nodeId: server.runner.irohNodeId ?? '',
    addrs: [server.runner.irohAddress ?? ''],
  });
  return dial(endpoint, addr, RPC_ALPN);
}

const id = new Uint8Array(16).fill(3);
const healthCheck = () =>
  encodeFrame(
    FrameType.Request,
    id,
    encodeRequest({ service: 'blixard.ClusterService', method: 'HealthCheck', payload: new Uint8Array(0) }),
  );

/** Opens a stream, sends `bytes` and keeps the send side open. */
async function stall(conn: Connection, bytes: Uint8Array): Promise<BiStream> {
  const bi = await conn.openBi();
  await bi.send.writeAll(bytes);
  return bi;
}

/** The status the server answered on a stream ('OK' for a Response). */
async function answer(bi: BiStream): Promise<string> {
  const frame = await new FrameReader(bi.recv).next().catch((err: unknown) => String(err));
  if (typeof frame === 'string' || frame === undefined) return `NO_FRAME ${frame}`;
  if (frame.type === FrameType.Response) return 'OK';
  const status = parseErrorText(decodeResponse(frame.payload).error ?? '');
  return `${codeName(status.code)}: ${status.message}`;
}

function within<T>(ms: number, work: Promise<T>, what: () => string): Promise<T> {
  return withTimeout(work, ms, () => new Error(`${what()} not done within ${ms} ms`));
}

describe('stalled streams on the Iroh RPC port', () => {
  it('time out, are bounded per peer, and do not stop well-behaved clients', async () => {
    const stalledConn = await rawConnection(server.client);
    const secondConn = await rawConnection(server.client);
    // 100 streams with part of a header, then 100 with a header and part of its payload: 200 in all.
    const full = healthCheck();
    const partHeader: BiStream[] = [];
    for (let i = 0; i < STALLS_PER_CONNECTION; i++) {
      partHeader.push(await stall(stalledConn, full.subarray(0, 10)));
    }
    const partPayload: BiStream[] = [];
    for (let i = 0; i < STALLS_PER_CONNECTION; i++) {
      partPayload.push(await stall(secondConn, full.subarray(0, HEADER_BYTES + 5)));
    }

    // A client on another endpoint is served as usual.
    const stranger = new IrohChannel(other, {
      nodeId: server.runner.irohNodeId ?? '',
      addrs: [server.runner.irohAddress ?? ''],
    });
    await stranger.unary('blixard.ClusterService', 'HealthCheck', new Uint8Array(0), {
      timeoutMs: 3 * READ_DEADLINE_MS,
    });
    await stranger.close();

    // The peer is over its limit: streams past it are refused at once, not left waiting.
    const refused = await within(READ_DEADLINE_MS, answer(partPayload.at(-1) as BiStream), () => 'refusal');
    expect(refused).toMatch(/^RESOURCE_EXHAUSTED: too many concurrent streams from this peer/);

    // The same endpoint, on the connection that holds 100 stalled streams: its stream opens
    // and is answered once the stalled ones pass the read deadline. (Until the peer's other
    // stalled streams pass it too, the peer may still be at its limit: refused, try again.)
    let sameConn = 'not started';
    const onStalledConn = (async () => {
      for (;;) {
        sameConn = 'opening a stream';
        const bi = await stalledConn.openBi();
        sameConn = 'waiting for the reply';
        await bi.send.writeAll(full);
        sameConn = await answer(bi);
        await release(bi.send.finish());
        if (!sameConn.startsWith('RESOURCE_EXHAUSTED')) return sameConn;
        await new Promise((resolve) => setTimeout(resolve, READ_DEADLINE_MS / 20));
      }
    })();
    expect(await within(3 * READ_DEADLINE_MS, onStalledConn, () => `call (last: ${sameConn})`)).toBe('OK');

    // The same endpoint on a connection of its own, through the ordinary client.
    await expect(
      server.iroh.unary('blixard.ClusterService', 'HealthCheck', new Uint8Array(0), {
        timeoutMs: 3 * READ_DEADLINE_MS,
      }),
    ).resolves.toBeDefined();

    // The stalled streams were told why.
    expect(await within(READ_DEADLINE_MS, answer(partHeader[0] as BiStream), () => 'error frame')).toMatch(
      /^DEADLINE_EXCEEDED: no complete request frame within 2500 ms/,
    );
    expect(await within(READ_DEADLINE_MS, answer(partPayload[0] as BiStream), () => 'error frame')).toMatch(
      /^DEADLINE_EXCEEDED: no complete request frame within 2500 ms/,
    );
    // Every stream let in (the peer's limit) timed out; the rest were refused.
    await expect.poll(() => timeouts.length, { timeout: 2 * READ_DEADLINE_MS }).toBe(PER_PEER);
    expect(limited.filter((l) => l === 'peer').length).toBe(2 * STALLS_PER_CONNECTION - PER_PEER);
    expect(timeouts.every((peer) => peer === server.client.id().toString())).toBe(true);

    stalledConn.close(0, '');
    secondConn.close(0, '');
  }, 60_000);
});

describe('a large request', () => {
  it('gets one more read deadline for each whole MiB its header declares', async () => {
    const conn = await rawConnection(other);
    try {
      const big = encodeFrame(
        FrameType.Request,
        id,
        encodeRequest({
          service: 'blixard.ClusterService',
          method: 'HealthCheck',
          payload: new Uint8Array(2 * 1024 * 1024),
        }),
      );
      const small = await stall(conn, healthCheck().subarray(0, 10));
      const large = await stall(conn, big.subarray(0, HEADER_BYTES + 10));
      const largeAnswer = answer(large);
      const first = await within(
        2 * READ_DEADLINE_MS,
        Promise.race([largeAnswer.then((a) => `large: ${a}`), answer(small).then((a) => `small: ${a}`)]),
        () => 'first answer',
      );
      expect(first).toMatch(/^small: DEADLINE_EXCEEDED: no complete request frame within 2500 ms/);
      expect(await within(4 * READ_DEADLINE_MS, largeAnswer, () => 'large answer')).toMatch(
        /^DEADLINE_EXCEEDED: no complete request frame within 7500 ms/,
      );
    } finally {
      conn.close(0, '');
    }
  }, 30_000);
});

describe('a connection that keeps stalling', () => {
  let small: LoopbackServer;
  const seen: string[] = [];
  beforeAll(async () => {
    small = await serveOnLoopback(registry, {
      streams: {
        requestReadTimeoutMs: READ_DEADLINE_MS,
        maxStreamsPerConnection: 4,
        maxStreamsPerPeer: PER_PEER,
        onStreamLimited: (limit) => seen.push(limit),
      },
    });
  });
  afterAll(() => small?.stop());

  it('is closed once it holds more stalled streams than its stream limit', async () => {
    const addr = await toEndpointAddr({
      nodeId: small.runner.irohNodeId ?? '',
      addrs: [small.runner.irohAddress ?? ''],
    });
    const conn = await dial(small.client, addr, RPC_ALPN);
    // Stalls, one after another: 4 fill the limit (the rest are refused); once they time out
    // the QUIC limit grows by 4 and the next 4 stall too, and so on until the node closes it.
    let opened = 0;
    const opening = (async () => {
      while (conn.closeReason() === null) {
        await stall(conn, healthCheck().subarray(0, 3));
        opened += 1;
        await new Promise((resolve) => setTimeout(resolve, READ_DEADLINE_MS / 20));
      }
    })();
    opening.catch(() => undefined); // ends when the node closes the connection: that is the point
    // Two read deadlines when the host is idle; the bound only has to tell "closes" from "never".
    const reason = await within(
      8 * READ_DEADLINE_MS,
      conn.closed(),
      () => `close (${opened} streams opened)`,
    );
    expect(reason).toMatch(/too many stalled streams/);
    expect(seen).toContain('stalled_connection');
    expect(seen).toContain('connection');
    // The node goes on serving others.
    await small.iroh.unary('blixard.ClusterService', 'HealthCheck', new Uint8Array(0), {
      timeoutMs: READ_DEADLINE_MS,
    });
  }, 30_000);
});
