import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameType, HEADER_BYTES, newRequestId } from './frame.ts';
import { MAX_MESSAGE_BYTES } from './limits.ts';
import {
  bindEndpoint,
  type Connection,
  type Endpoint,
  parseNodeId,
  type RequestBatch,
  SecretKey,
} from './native-iroh.ts';

const ALPN = 'blixard/test/1';
const opened: Endpoint[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((ep) => ep.close()));
});

async function bind(secretKey?: SecretKey): Promise<Endpoint> {
  const ep = await bindEndpoint({ bindAddr: '127.0.0.1:0', alpns: [ALPN], secretKey: secretKey?.toBytes() });
  opened.push(ep);
  return ep;
}

/** A server endpoint, a client connection to it, and the server's side of that connection. */
async function pair(serverKey?: SecretKey) {
  const server = await bind(serverKey);
  const client = await bind();
  const accepted = (async () => {
    const incoming = await server.acceptNext();
    if (incoming === null) throw new Error('server endpoint closed before a connection came');
    return incoming.accept();
  })();
  const conn = await client.connect(server.id(), [ipv4(server)], ALPN);
  return { server, client, conn, serverConn: await accepted };
}

/** The endpoint's 127.0.0.1 socket: the one direct address its peers are given. */
function ipv4(ep: Endpoint): string {
  const socket = ep.boundSockets().find((s) => s.startsWith('127.'));
  if (socket === undefined) throw new Error(`no IPv4 socket among ${ep.boundSockets().join(', ')}`);
  return socket;
}

/** Answers every request frame with a Response frame echoing its payload, until the connection closes. */
function echo(serverConn: Connection, batches: number[] = []): Promise<void> {
  return (async () => {
    for (;;) {
      const batch: RequestBatch = await serverConn.acceptRequests(8, MAX_MESSAGE_BYTES);
      if (batch.length === 0) return;
      batches.push(batch.length);
      const streams = batch.streams();
      const { frames } = batch.takeFrames();
      frames.forEach((frame, i) => {
        const reply = encodeFrame(FrameType.Response, frame.subarray(6, 22), frame.subarray(HEADER_BYTES));
        void streams[i]?.send.writeAll(reply, true).catch(() => {});
      });
    }
  })();
}

describe('native Iroh binding', () => {
  it('carries a 1 MiB request and its reply as Buffers in one call each way', async () => {
    const { conn, serverConn } = await pair();
    void echo(serverConn);
    const payload = Buffer.alloc(1 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const id = newRequestId();
    const reply = await conn.call(encodeFrame(FrameType.Request, id, payload), MAX_MESSAGE_BYTES);
    expect(Buffer.isBuffer(reply)).toBe(true);
    expect(reply[1]).toBe(FrameType.Response);
    expect(Buffer.from(reply.subarray(6, 22)).equals(Buffer.from(id))).toBe(true);
    expect(Buffer.from(reply.subarray(HEADER_BYTES)).equals(payload)).toBe(true);
  });

  it('hands the server whole request frames, in batches no larger than asked', async () => {
    const { conn, serverConn } = await pair();
    const batches: number[] = [];
    void echo(serverConn, batches);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        conn.call(encodeFrame(FrameType.Request, newRequestId(), Buffer.from(`call ${i}`)), 1024),
      ),
    );
    expect(replies.map((r) => r.subarray(HEADER_BYTES).toString())).toEqual(
      Array.from({ length: 40 }, (_, i) => `call ${i}`),
    );
    expect(batches.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.max(...batches)).toBeLessThanOrEqual(8);
  });

  it('gives the server what arrived of a frame cut short, a header declaring too much, and a late frame', async () => {
    const { conn, serverConn } = await pair();
    const frames: Buffer[] = [];
    const timedOut: boolean[] = [];
    const serving = (async () => {
      while (frames.length < 3) {
        const batch = await serverConn.acceptRequests(8, 1000, 300);
        if (batch.length === 0) return;
        const got = batch.takeFrames();
        frames.push(...got.frames);
        timedOut.push(...got.timedOut);
      }
    })();
    // Cut short: 10 bytes, then the end of the stream.
    const short = await conn.openBi();
    await short.send.writeAll(Buffer.alloc(10, 1), true);
    // Declares 5000 payload bytes, over the server's 1000.
    const big = encodeFrame(FrameType.Request, newRequestId(), Buffer.alloc(5000));
    const over = await conn.openBi();
    await over.send.writeAll(big.subarray(0, HEADER_BYTES + 100));
    // Declares 100 bytes, sends 10, then stalls past the server's read deadline.
    const late = await conn.openBi();
    await late.send.writeAll(
      encodeFrame(FrameType.Request, newRequestId(), Buffer.alloc(100)).subarray(0, 34),
    );
    await serving;
    const byLength = frames
      .map((f, i) => [f.length, timedOut[i]])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(byLength).toEqual([
      [10, false],
      [HEADER_BYTES, false],
      [34, true],
    ]);
  });

  it('accepts the streams already waiting in one call, no more than asked', async () => {
    const { conn, serverConn } = await pair();
    const sent = [];
    for (let i = 0; i < 5; i++) {
      const bi = await conn.openBi();
      await bi.send.writeAll(Buffer.from(`stream ${i}`), true);
      sent.push(bi);
    }
    // The first accept waits for a stream; the streams are announced to the server as data arrives.
    const first = await serverConn.acceptBis(3);
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(first.length).toBeLessThanOrEqual(3);
    const got = [...first];
    while (got.length < 5) got.push(...(await serverConn.acceptBis(3)));
    const texts = await Promise.all(got.map(async (bi) => (await bi.recv.readToEnd(100)).toString()));
    expect(texts.sort()).toEqual(Array.from({ length: 5 }, (_, i) => `stream ${i}`));
  });

  it('hands over the first chunk an accept read ahead, and later reads go on after it', async () => {
    const { conn, serverConn } = await pair();
    const bi = await conn.openBi();
    await bi.send.writeAll(Buffer.from('hello world'), true);
    const [srv] = await serverConn.acceptBis(1);
    if (srv === undefined) throw new Error('no stream accepted');
    // Stream and data came in one packet: the accept already holds them.
    expect(srv.recv.takeFirstChunk()?.toString()).toBe('hello world');
    expect(srv.recv.takeFirstChunk()).toBeNull();
    expect((await srv.recv.readToEnd(100)).length).toBe(0);

    const bi2 = await conn.openBi();
    await bi2.send.writeAll(Buffer.from('hello world'), true);
    const [srv2] = await serverConn.acceptBis(1);
    if (srv2 === undefined) throw new Error('no stream accepted');
    // Read with the async calls instead: the read-ahead bytes come first, in order, then the rest.
    expect((await srv2.recv.read(2))?.toString()).toBe('he');
    expect((await srv2.recv.readExact(3)).toString()).toBe('llo');
    expect((await srv2.recv.readToEnd(100)).toString()).toBe(' world');
    expect(await srv2.recv.read(10)).toBeNull();
  });

  it('resets a call on cancel and on its deadline, and the server sees the reset', async () => {
    const { conn, serverConn } = await pair();
    const resets: string[] = [];
    void (async () => {
      for (;;) {
        const batch = await serverConn.acceptRequests(8, 1024);
        if (batch.length === 0) return;
        for (const bi of batch.streams()) {
          // Never answers; waits for the client to give up.
          bi.recv.read(1).then(
            () => resets.push('ended'),
            (err: Error) => resets.push(err.message),
          );
        }
      }
    })();
    const frame = encodeFrame(FrameType.Request, newRequestId(), Buffer.from('hello'));
    const cancelled = conn.call(frame, 1024, undefined, 1);
    setTimeout(() => conn.cancelCall(1, 9), 50);
    await expect(cancelled).rejects.toThrow('call cancelled');
    await expect(conn.call(frame, 1024, 100)).rejects.toThrow('deadline exceeded');
    // The deadline and cancel are both bounded by the 100 ms above; the resets travel over loopback.
    const until = Date.now() + 5000;
    while (resets.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(resets, `server saw: ${JSON.stringify(resets)}`).toHaveLength(2);
    expect(resets.every((r) => r.includes('reset'))).toBe(true);
  });

  it('a cancel that comes before the call starts in Rust still cancels it', async () => {
    const { conn } = await pair();
    const frame = encodeFrame(FrameType.Request, newRequestId(), Buffer.from('x'));
    const call = conn.call(frame, 1024, undefined, 77);
    conn.cancelCall(77, 1);
    await expect(call).rejects.toThrow('call cancelled');
  });

  it('names the remote node, its path and the bytes moved; closes with a code and reason the peer sees', async () => {
    const key = SecretKey.generate();
    const { server, conn, serverConn } = await pair(key);
    void echo(serverConn);
    expect(conn.remoteId()).toBe(key.public());
    expect(conn.alpn()).toBe(ALPN);
    await conn.call(encodeFrame(FrameType.Request, newRequestId(), Buffer.alloc(200_000)), MAX_MESSAGE_BYTES);
    const path = conn.selectedPath();
    expect(path?.remoteAddr).toBe(ipv4(server));
    expect(path?.isRelay).toBe(false);
    expect(path?.rttMs).toBeGreaterThanOrEqual(0);
    const stats = conn.stats();
    expect(stats.udpTxBytes).toBeGreaterThan(200_000);
    expect(stats.udpRxBytes).toBeGreaterThan(200_000);
    expect(stats.lostPackets).toBeGreaterThanOrEqual(0);
    expect(conn.closeReason()).toBeNull();
    serverConn.close(403, 'node id not admitted');
    const reason = await conn.closed();
    expect(reason).toContain('node id not admitted');
    expect(conn.closeReason()).toContain('node id not admitted');
  });

  it('moves bytes on plain bi streams: read, readExact, readFrame, readToEnd, reset and stop', async () => {
    const { conn, serverConn } = await pair();
    const accepted = serverConn.acceptBi();
    const bi = await conn.openBi();
    const frame = encodeFrame(FrameType.Ping, newRequestId(), Buffer.from('ping'));
    await bi.send.writeAll(Buffer.concat([frame, Buffer.from('tail')]), true);
    const srv = await accepted;
    expect((await srv.recv.readFrame(1024)).equals(frame)).toBe(true);
    expect((await srv.recv.readExact(2)).toString()).toBe('ta');
    expect((await srv.recv.readToEnd(100)).toString()).toBe('il');
    expect(await srv.recv.read(10)).toBeNull();

    const accepted2 = serverConn.acceptBi();
    const bi2 = await conn.openBi();
    await bi2.send.writeAll(Buffer.from('x'));
    const srv2 = await accepted2;
    expect((await srv2.recv.read(10))?.toString()).toBe('x');
    bi2.send.reset(7);
    await expect(srv2.recv.read(10)).rejects.toThrow(/reset/);
  });

  it('rejects bad input with errors that name it', async () => {
    expect(() => SecretKey.fromBytes(new Uint8Array(31))).toThrow('secret key must be 32 bytes, got 31');
    expect(() => parseNodeId('not-a-node-id')).toThrow("invalid Iroh node id 'not-a-node-id'");
    const key = SecretKey.generate();
    expect(parseNodeId(key.public())).toBe(key.public());
    expect(SecretKey.fromBytes(key.toBytes()).public()).toBe(key.public());
    await expect(bindEndpoint({ bindAddr: 'nowhere', alpns: [] })).rejects.toThrow("bind address 'nowhere'");
    const ep = await bind();
    await expect(ep.connect('not-a-node-id', [], ALPN)).rejects.toThrow(
      "invalid Iroh node id 'not-a-node-id'",
    );
    await expect(ep.connect(key.public(), ['300.1.1.1:5'], ALPN)).rejects.toThrow(
      "direct address '300.1.1.1:5'",
    );
  });

  it('accepts nothing once the endpoint is closed', async () => {
    const ep = await bind();
    const next = ep.acceptNext();
    await ep.close();
    expect(await next).toBeNull();
    expect(ep.isClosed()).toBe(true);
  });
});
