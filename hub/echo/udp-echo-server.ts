/** A UDP echo server on loopback: the far end of a link under test. */
import dgram from 'node:dgram';

export interface UdpEchoServer {
  readonly port: number;
  /** Datagrams received, with the source port of each (to tell proxy sessions apart). */
  readonly received: { port: number; size: number }[];
  close(): Promise<void>;
}

export async function startUdpEchoServer(options: { record?: boolean } = {}): Promise<UdpEchoServer> {
  const socket = dgram.createSocket('udp4');
  const received: { port: number; size: number }[] = [];
  socket.on('message', (msg, rinfo) => {
    if (options.record) received.push({ port: rinfo.port, size: msg.length });
    socket.send(msg, rinfo.port, rinfo.address);
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // Room for bursts, so a throughput run measures forwarding rather than the kernel's default buffer.
  socket.setRecvBufferSize(4 * 1024 * 1024);
  socket.setSendBufferSize(4 * 1024 * 1024);
  return {
    port: socket.address().port,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
