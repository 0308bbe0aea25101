/**
 * Bad input on the Iroh port: each malformed stream gets an Error frame with
 * the right status (or a reset), and the server goes on answering other calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest } from './envelope.ts';
import { parseErrorText } from './error-text.ts';
import { encodeFrame, FrameType, HEADER_BYTES } from './frame.ts';
import { readFrame } from './iroh-stream.ts';
import { MAX_FRAME_PAYLOAD_BYTES, MAX_MESSAGE_BYTES } from './limits.ts';
import type { Connection } from './native-iroh.ts';
import { ServiceRegistry } from './registry.ts';
import { ClusterService } from './services.ts';
import { codeName } from './status.ts';
import { type LoopbackServer, serveOnLoopback } from './testing.ts';

let server: LoopbackServer;
let conn: Connection;

/** When set, HealthCheck replies with a message of exactly this many bytes. */
let replyBytes: number | undefined;
const registry = new ServiceRegistry().register(ClusterService, {
  healthCheck: () =>
    replyBytes === undefined
      ? { healthy: true, nodeId: 'n1' }
      : { message: 'x'.repeat(replyBytes - 1 - varintLength(replyBytes)) },
});

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len += 1;
  }
  return len;
}

/** An encoded HealthCheckRequest of exactly `total` bytes: one unknown bytes field (15). */
function requestOfSize(total: number): Uint8Array {
  let n = total - 2;
  while (1 + varintLength(n) + n > total) n -= 1;
  const out = new Uint8Array(total);
  out[0] = (15 << 3) | 2;
  let i = 1;
  for (let v = n; ; i++) {
    out[i] = v >= 0x80 ? (v & 0x7f) | 0x80 : v;
    if (v < 0x80) break;
    v = Math.floor(v / 0x80);
  }
  if (i + 1 + n !== total) throw new Error(`request of ${i + 1 + n} bytes, wanted ${total}`);
  return out;
}

beforeAll(async () => {
  server = await serveOnLoopback(registry);
  conn = await server.iroh.connect();
});
afterAll(() => server?.stop());

/** Sends raw bytes on a fresh stream and returns the status the server answered with. */
async function sendRaw(bytes: Uint8Array, finish = true): Promise<string> {
  const bi = await conn.openBi();
  await bi.send.writeAll(bytes);
  if (finish) await bi.send.finish();
  try {
    const frame = await readFrame(bi.recv);
    if (frame === undefined) return 'END_WITHOUT_REPLY';
    if (frame.type !== FrameType.Error) return `FRAME_TYPE_${frame.type}`;
    const err = parseErrorText(decodeResponse(frame.payload).error ?? '');
    return `${codeName(err.code)}: ${err.message}`;
  } catch {
    return 'RESET';
  }
}

const id = new Uint8Array(16).fill(7);
const request = (service: string, method: string, payload: Uint8Array) =>
  encodeFrame(FrameType.Request, id, encodeRequest({ service, method, payload }));

async function stillServing(): Promise<void> {
  const reply = await server.iroh.unary('blixard.ClusterService', 'HealthCheck', new Uint8Array(0));
  expect(reply.length).toBeGreaterThan(0);
}

describe('the Iroh RPC port under bad input', () => {
  it('answers a wrong version with INVALID_ARGUMENT', async () => {
    const frame = request('blixard.ClusterService', 'HealthCheck', new Uint8Array(0));
    frame[0] = 9;
    expect(await sendRaw(frame)).toMatch(/^INVALID_ARGUMENT: malformed frame: unsupported frame version 9/);
    await stillServing();
  });

  it('answers an unknown frame type with INVALID_ARGUMENT', async () => {
    const frame = request('blixard.ClusterService', 'HealthCheck', new Uint8Array(0));
    frame[1] = 42;
    expect(await sendRaw(frame)).toMatch(/^INVALID_ARGUMENT: malformed frame: unknown frame type 42/);
    await stillServing();
  });

  it('answers a declared length over the frame limit with RESOURCE_EXHAUSTED without reading it', async () => {
    const header = encodeFrame(FrameType.Request, id, new Uint8Array(0));
    header.writeUInt32BE(MAX_FRAME_PAYLOAD_BYTES + 1, 2);
    expect(await sendRaw(header, false)).toMatch(
      new RegExp(`^RESOURCE_EXHAUSTED: .*over the ${MAX_FRAME_PAYLOAD_BYTES}-byte limit`),
    );
    await stillServing();
  });

  it('answers a truncated frame with INVALID_ARGUMENT', async () => {
    const frame = request('blixard.ClusterService', 'HealthCheck', new Uint8Array(50));
    expect(await sendRaw(frame.subarray(0, HEADER_BYTES + 10))).toMatch(
      /^INVALID_ARGUMENT: .*stream ended inside a frame payload/,
    );
    expect(await sendRaw(frame.subarray(0, 7))).toMatch(/^INVALID_ARGUMENT: .*inside a frame header/);
    await stillServing();
  });

  it('answers a garbage envelope with INVALID_ARGUMENT', async () => {
    const frame = encodeFrame(FrameType.Request, id, Uint8Array.of(200, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    expect(await sendRaw(frame)).toMatch(/^INVALID_ARGUMENT: malformed request envelope: service: /);
    await stillServing();
  });

  it('answers an unknown service or method with UNIMPLEMENTED', async () => {
    expect(await sendRaw(request('blixard.Nope', 'HealthCheck', new Uint8Array(0)))).toMatch(
      /^UNIMPLEMENTED: unknown method blixard.Nope\/HealthCheck/,
    );
    expect(await sendRaw(request('blixard.ClusterService', 'Nope', new Uint8Array(0)))).toMatch(
      /^UNIMPLEMENTED/,
    );
    await stillServing();
  });

  it('answers invalid protobuf with INVALID_ARGUMENT naming the message', async () => {
    expect(
      await sendRaw(request('blixard.ClusterService', 'HealthCheck', Uint8Array.of(0xff, 0xff))),
    ).toMatch(/^INVALID_ARGUMENT: invalid blixard.HealthCheckRequest/);
    await stillServing();
  });

  it('answers a frame of the wrong kind with INVALID_ARGUMENT', async () => {
    const frame = encodeFrame(FrameType.Response, id, new Uint8Array(3));
    expect(await sendRaw(frame)).toMatch(/^INVALID_ARGUMENT: expected a Request or Ping frame, got type 2/);
    await stillServing();
  });

  it('echoes the request id of the failing frame', async () => {
    const bi = await conn.openBi();
    await bi.send.writeAll(request('blixard.Nope', 'X', new Uint8Array(0)));
    const frame = await readFrame(bi.recv);
    expect(Buffer.from(frame?.requestId ?? [])).toEqual(Buffer.from(id));
  });

  it('answers a Ping with a Pong on the same stream', async () => {
    expect(await server.iroh.ping()).toBeGreaterThan(0);
  });

  it('survives a storm of streams that are opened and dropped', async () => {
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const bi = await conn.openBi();
        await bi.send.writeAll(
          request('blixard.ClusterService', 'HealthCheck', new Uint8Array(0)).subarray(0, i),
        );
        await bi.send.reset(5);
      }),
    );
    await stillServing();
  });

  it('refuses oversized requests with RESOURCE_EXHAUSTED on both transports', async () => {
    const big = new Uint8Array(MAX_MESSAGE_BYTES + 1);
    for (const channel of [server.grpc, server.iroh]) {
      await expect(channel.unary('blixard.ClusterService', 'HealthCheck', big)).rejects.toMatchObject({
        codeName: 'RESOURCE_EXHAUSTED',
      });
    }
    await stillServing();
  });

  it('takes the 10 MiB limit on the protobuf message, at the same boundary on both transports', async () => {
    const outcome = (p: Promise<Uint8Array>) =>
      p.then(
        (reply) => `OK ${reply.length}`,
        (err: { codeName?: string }) => err.codeName ?? String(err),
      );
    const atLimit = requestOfSize(MAX_MESSAGE_BYTES);
    const overLimit = requestOfSize(MAX_MESSAGE_BYTES + 1);
    expect(atLimit.length).toBe(MAX_MESSAGE_BYTES);
    const seen: Record<string, string[]> = {};
    for (const channel of [server.grpc, server.iroh]) {
      seen[channel.transport] = [
        await outcome(channel.unary('blixard.ClusterService', 'HealthCheck', atLimit)),
        await outcome(channel.unary('blixard.ClusterService', 'HealthCheck', overLimit)),
      ];
    }
    expect(seen).toEqual({
      grpc: [expect.stringMatching(/^OK /), 'RESOURCE_EXHAUSTED'],
      iroh: [expect.stringMatching(/^OK /), 'RESOURCE_EXHAUSTED'],
    });
    // A client that does not check the size itself: the server refuses with the same code.
    const raw = encodeFrame(
      FrameType.Request,
      id,
      encodeRequest({ service: 'blixard.ClusterService', method: 'HealthCheck', payload: overLimit }),
    );
    expect(await sendRaw(raw)).toMatch(/^RESOURCE_EXHAUSTED: request of 10485761 bytes is over/);
    await stillServing();
  });

  it('returns a reply of exactly 10 MiB on both transports', async () => {
    replyBytes = MAX_MESSAGE_BYTES;
    try {
      for (const channel of [server.grpc, server.iroh]) {
        const reply = await channel.unary('blixard.ClusterService', 'HealthCheck', new Uint8Array(0)).then(
          (r) => `OK ${r.length}`,
          (err: { codeName?: string; message?: string }) => `${err.codeName}: ${err.message}`,
        );
        expect(reply, channel.transport).toBe(`OK ${MAX_MESSAGE_BYTES}`);
      }
    } finally {
      replyBytes = undefined;
    }
  });
});
