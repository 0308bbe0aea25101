/**
 * The measurements: sequential round trips (latency) and windowed bulk echo (throughput) for UDP,
 * TCP and Iroh. Each is bounded by a count and a time limit, whichever comes first.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { connectIrohEcho, connectTcp, type EndpointId, tcpRoundTrip } from '../../hub/echo/index.ts';

export interface PathResult {
  /** Round-trip times in ms, sorted. */
  rtts: number[];
  /** Echoed payload bytes per second. */
  bytesPerSecond: number;
}

export interface Bounds {
  latencyCount: number;
  latencyMaxMs: number;
  throughputMaxMs: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function sequential(roundTrip: () => Promise<number | null>, bounds: Bounds): Promise<number[]> {
  const rtts: number[] = [];
  const stopAt = performance.now() + bounds.latencyMaxMs;
  for (let i = 0; i < bounds.latencyCount && performance.now() < stopAt; i++) {
    const rtt = await roundTrip();
    if (rtt !== null) rtts.push(rtt);
  }
  return rtts.sort((a, b) => a - b);
}

/**
 * UDP: ping-pong for latency, then bursts of `window` datagrams echoed back for throughput. A small
 * window is bound by round-trip time, a large one by how fast each process can move datagrams.
 */
export async function measureUdp(port: number, bounds: Bounds, window = 32): Promise<PathResult> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setRecvBufferSize(4 * 1024 * 1024);
  socket.setSendBufferSize(4 * 1024 * 1024);
  let onReply: (() => void) | null = null;
  socket.on('message', () => onReply?.());
  const waitReplies = (count: number, withinMs: number) =>
    new Promise<number>((resolve) => {
      let got = 0;
      const timer = setTimeout(() => done(), withinMs);
      const done = () => {
        clearTimeout(timer);
        onReply = null;
        resolve(got);
      };
      onReply = () => {
        got++;
        if (got >= count) done();
      };
    });
  try {
    const small = Buffer.alloc(64);
    for (let i = 0; i < 50; i++) {
      socket.send(small, port, '127.0.0.1');
      await waitReplies(1, 200);
    }
    const rtts = await sequential(async () => {
      const start = performance.now();
      const wait = waitReplies(1, 500);
      socket.send(small, port, '127.0.0.1');
      return (await wait) === 1 ? performance.now() - start : null;
    }, bounds);

    const size = 1200; // a QUIC-sized datagram
    const payload = Buffer.alloc(size);
    let bytes = 0;
    const start = performance.now();
    while (performance.now() - start < bounds.throughputMaxMs) {
      const wait = waitReplies(window, 200);
      for (let i = 0; i < window; i++) socket.send(payload, port, '127.0.0.1');
      bytes += (await wait) * size;
    }
    return { rtts, bytesPerSecond: bytes / ((performance.now() - start) / 1000) };
  } finally {
    socket.close();
  }
}

/** TCP: ping-pong of 64 bytes for latency, then a bulk stream echoed back for throughput. */
export async function measureTcp(port: number, bounds: Bounds): Promise<PathResult> {
  const socket = await connectTcp(port);
  try {
    for (let i = 0; i < 50; i++) await tcpRoundTrip(socket, 1000);
    const rtts = await sequential(() => tcpRoundTrip(socket, 1000), bounds);
    const bytesPerSecond = await tcpBulk(port, bounds.throughputMaxMs);
    return { rtts, bytesPerSecond };
  } finally {
    socket.destroy();
  }
}

async function tcpBulk(port: number, maxMs: number): Promise<number> {
  const socket = await connectTcp(port);
  const chunk = Buffer.alloc(64 * 1024);
  let received = 0;
  let writing = true;
  socket.on('data', (data: Buffer) => {
    received += data.length;
  });
  const start = performance.now();
  const stopAt = start + maxMs;
  // Keep at most 4 MiB in flight, so the measured rate is the echo's, not a buffer's.
  let sent = 0;
  while (writing && performance.now() < stopAt) {
    if (sent - received > 4 * 1024 * 1024) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
  }
  writing = false;
  const elapsed = (performance.now() - start) / 1000;
  const rate = received / elapsed;
  socket.destroy();
  return rate;
}

/** Iroh: a 64-byte echo on a fresh stream per call for latency, then 256 KiB echoes for throughput. */
export async function measureIroh(server: EndpointId, address: string, bounds: Bounds): Promise<PathResult> {
  const client = await connectIrohEcho(server, address);
  try {
    for (let i = 0; i < 30; i++) await client.roundTrip(64);
    const rtts = await sequential(() => client.roundTrip(64), bounds);
    const size = 256 * 1024;
    let bytes = 0;
    const start = performance.now();
    for (let i = 0; i < 200 && performance.now() - start < bounds.throughputMaxMs; i++) {
      await client.roundTrip(size);
      bytes += size;
    }
    return { rtts, bytesPerSecond: bytes / ((performance.now() - start) / 1000) };
  } finally {
    await client.close();
  }
}
