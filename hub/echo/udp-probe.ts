/**
 * A UDP client that sends numbered datagrams and records what comes back: enough to see latency,
 * loss, duplication, reordering and a cut link from the outside, as the lab checks its own faults.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';

export interface UdpProbe {
  readonly port: number;
  /** Sequence numbers of the replies, in arrival order. */
  readonly replies: number[];
  send(seq: number, size?: number): void;
  /** Waits until `count` replies arrived in total, or `withinMs` passed; returns the replies so far. */
  waitForReplies(count: number, withinMs: number): Promise<number[]>;
  /** Round trip of one datagram in ms, or null when no reply came within `withinMs`. */
  roundTrip(seq: number, withinMs: number): Promise<number | null>;
  close(): Promise<void>;
}

export async function openUdpProbe(targetPort: number): Promise<UdpProbe> {
  const socket = dgram.createSocket('udp4');
  const replies: number[] = [];
  let waiter: (() => void) | null = null;
  socket.on('message', (msg) => {
    replies.push(msg.readUInt32BE(0));
    waiter?.();
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));

  const send = (seq: number, size = 64): void => {
    const buf = Buffer.alloc(Math.max(4, size));
    buf.writeUInt32BE(seq, 0);
    socket.send(buf, targetPort, '127.0.0.1');
  };

  const waitForReplies = async (count: number, withinMs: number): Promise<number[]> => {
    const deadline = performance.now() + withinMs;
    while (replies.length < count) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      waiter = null;
    }
    return [...replies];
  };

  return {
    port: socket.address().port,
    replies,
    send,
    waitForReplies,
    roundTrip(seq, withinMs) {
      const start = performance.now();
      return new Promise<number | null>((resolve) => {
        const done = (rtt: number | null) => {
          clearTimeout(timer);
          socket.off('message', onReply);
          resolve(rtt);
        };
        const onReply = (msg: Buffer) => {
          if (msg.readUInt32BE(0) === seq) done(performance.now() - start);
        };
        const timer = setTimeout(() => done(null), withinMs);
        socket.on('message', onReply);
        send(seq);
      });
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
